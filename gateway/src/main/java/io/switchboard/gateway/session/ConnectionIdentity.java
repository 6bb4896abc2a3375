package io.switchboard.gateway.session;

import static java.util.Objects.requireNonNull;

/**
 * Who a connection is, decided before the WebSocket upgrade by the handshake guard: the validated userId, the role,
 * and whether it asked for acknowledged delivery ({@code ?ack=1}, {@code PROTOCOL.md} §5). Immutable.
 *
 * @param ack   whether the connection acknowledges what it is sent, and gets a {@code seq} on each push
 * @param since the seq the client says it has processed ({@code ?since=}), or {@link #NO_SINCE}; only with {@code ack}
 * @param acceptedAtNanos when the handshake guard accepted the upgrade ({@link System#nanoTime}, before the 101 is
 *                        written): orders two connections of one userId, so the one a client opened after the other's
 *                        101 is the newer one whichever registers first
 */
public record ConnectionIdentity(String userId, Role role, boolean ack, long since, long acceptedAtNanos) {

    /** {@code since} of a connection that gave none: resume above the last acknowledged seq. */
    public static final long NO_SINCE = -1;

    public ConnectionIdentity {
        requireNonNull(userId, "userId");
        requireNonNull(role, "role");
        if (since < NO_SINCE || since > NO_SINCE && !ack) {
            throw new IllegalArgumentException("since: " + since + " (expected: -1, or >= 0 with ack)");
        }
    }

    /** A connection accepted now. */
    public ConnectionIdentity(String userId, Role role, boolean ack, long since) {
        this(userId, role, ack, since, System.nanoTime());
    }

    /** A plain (protocol version 1) connection, accepted now. */
    public ConnectionIdentity(String userId, Role role) {
        this(userId, role, false, NO_SINCE);
    }
}
