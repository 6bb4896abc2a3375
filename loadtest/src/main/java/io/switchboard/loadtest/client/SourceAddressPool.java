package io.switchboard.loadtest.client;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Local source addresses to bind client sockets to, handed out round-robin. Each address has its own range of
 * ephemeral ports (about 28,000 by default on Linux), so several addresses allow more connections to one server
 * port than one address can. Loopback aliases ({@code 127.0.0.2-127.0.0.40}) need no setup on Linux.
 *
 * <p>Thread-safe.
 */
public final class SourceAddressPool {

    private static final int MAX_ADDRESSES = 65_536;

    private final List<InetSocketAddress> addresses;
    private final AtomicInteger next;

    private SourceAddressPool(List<InetSocketAddress> addresses, int start) {
        this.addresses = addresses;
        next = new AtomicInteger(start);
    }

    /** A pool that binds nothing: the system picks the source address. */
    public static SourceAddressPool none() {
        return new SourceAddressPool(Collections.emptyList(), 0);
    }

    /**
     * Parses {@code spec}: comma-separated IPv4 addresses or inclusive ranges, e.g. {@code 127.0.0.2-127.0.0.40} or
     * {@code 127.0.0.2,127.0.0.3}. A {@code null} or blank spec gives {@link #none()}.
     *
     * @param start the index to start the round-robin at (workers start at different addresses)
     * @throws IllegalArgumentException if the spec is malformed, with the offending part
     */
    public static SourceAddressPool parse(String spec, int start) {
        if (spec == null || spec.isBlank()) {
            return none();
        }
        final List<InetSocketAddress> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            final String p = part.trim();
            final int dash = p.indexOf('-');
            if (dash < 0) {
                out.add(new InetSocketAddress(ipv4(p, spec), 0));
                continue;
            }
            final long from = toLong(ipv4(p.substring(0, dash).trim(), spec));
            final long to = toLong(ipv4(p.substring(dash + 1).trim(), spec));
            if (to < from || to - from >= MAX_ADDRESSES) {
                throw new IllegalArgumentException("--source: bad range '" + p + "' in '" + spec + "'");
            }
            for (long a = from; a <= to; a++) {
                out.add(new InetSocketAddress(fromLong(a), 0));
            }
        }
        return new SourceAddressPool(List.copyOf(out), Math.floorMod(start, Math.max(1, out.size())));
    }

    /** The next address to bind (port 0), or {@code null} if the pool is empty. */
    public InetSocketAddress next() {
        if (addresses.isEmpty()) {
            return null;
        }
        return addresses.get(Math.floorMod(next.getAndIncrement(), addresses.size()));
    }

    /** How many addresses the pool holds. */
    public int size() {
        return addresses.size();
    }

    private static InetAddress ipv4(String s, String spec) {
        final String[] octets = s.split("\\.");
        if (octets.length != 4) {
            throw new IllegalArgumentException("--source: '" + s + "' is not an IPv4 address in '" + spec + "'");
        }
        final byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            final int v;
            try {
                v = Integer.parseInt(octets[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--source: '" + s + "' is not an IPv4 address in '" + spec + "'");
            }
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("--source: '" + s + "' is not an IPv4 address in '" + spec + "'");
            }
            b[i] = (byte) v;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--source: '" + s + "'", e);
        }
    }

    private static long toLong(InetAddress a) {
        final byte[] b = a.getAddress();
        return ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL);
    }

    private static InetAddress fromLong(long v) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8),
                    (byte) v});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
