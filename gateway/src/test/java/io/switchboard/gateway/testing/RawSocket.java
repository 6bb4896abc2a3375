package io.switchboard.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A plain blocking socket for the bytes a well-behaved client never sends: malformed or old-fashioned handshakes,
 * unmasked frames, reserved bits, oversized or fragmented control frames. It reads HTTP responses and WebSocket frames
 * back just enough to assert on them. Blocking is fine here: it runs on the test thread, with a read timeout.
 */
public final class RawSocket implements AutoCloseable {

    /** WebSocket opcodes (RFC 6455 §5.2). */
    public static final int CONTINUATION = 0x0;
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;

    /** An HTTP response: status code, headers (names lower-cased) and body. */
    public record HttpResponse(int status, Map<String, String> headers, String body) {
        /** A header value by (case-insensitive) name, or {@code null}. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** One WebSocket frame as the server sent it. */
    public record Frame(boolean fin, int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects with a read timeout of {@link WsTestClient#TIMEOUT}. */
    public static RawSocket connect(InetSocketAddress address) throws IOException {
        return connect(address, 0);
    }

    /**
     * Connects with a read timeout of {@link WsTestClient#TIMEOUT} and, if {@code receiveBufferBytes > 0}, that
     * socket receive buffer (set before connecting, so the TCP window honours it): a small one makes a client that
     * stops reading back up the server quickly.
     */
    public static RawSocket connect(InetSocketAddress address, int receiveBufferBytes) throws IOException {
        final Socket socket = new Socket();
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes);
        }
        socket.connect(address, (int) WsTestClient.TIMEOUT.toMillis());
        socket.setSoTimeout((int) WsTestClient.TIMEOUT.toMillis());
        socket.setTcpNoDelay(true);
        return new RawSocket(socket);
    }

    /**
     * Connects and upgrades {@code pathAndQuery} with a correct RFC 6455 request, asserting 101: ready for raw frames.
     */
    public static RawSocket upgraded(InetSocketAddress address, String pathAndQuery) throws IOException {
        return upgraded(address, pathAndQuery, 0);
    }

    /**
     * {@link #upgraded(InetSocketAddress, String)} with a socket receive buffer; see
     * {@link #connect(InetSocketAddress, int)}.
     */
    public static RawSocket upgraded(InetSocketAddress address, String pathAndQuery, int receiveBufferBytes)
            throws IOException {
        final RawSocket raw = connect(address, receiveBufferBytes);
        raw.write(upgradeRequest(pathAndQuery, "127.0.0.1:" + address.getPort()));
        final HttpResponse response = raw.readResponse();
        assertEquals(101, response.status(), () -> "upgrade of " + pathAndQuery + " refused: " + response);
        return raw;
    }

    /** A correct RFC 6455 upgrade request (HTTP/1.1, Host, version 13, a fresh key). */
    public static String upgradeRequest(String pathAndQuery, String host) {
        return "GET " + pathAndQuery + " HTTP/1.1\r\n"
               + "Host: " + host + "\r\n"
               + "Upgrade: websocket\r\n"
               + "Connection: Upgrade\r\n"
               + "Sec-WebSocket-Key: " + newKey() + "\r\n"
               + "Sec-WebSocket-Version: 13\r\n"
               + "\r\n";
    }

    /** A valid {@code Sec-WebSocket-Key}: base64 of 16 random bytes. */
    public static String newKey() {
        final byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** Writes {@code text} as UTF-8. */
    public RawSocket write(String text) throws IOException {
        return write(text.getBytes(StandardCharsets.UTF_8));
    }

    public RawSocket write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Writes one frame; see {@link #frame}. */
    public RawSocket writeFrame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) throws IOException {
        return write(frame(fin, rsv, opcode, masked, payload));
    }

    /** Writes one complete, masked text frame: what a correct client sends. */
    public RawSocket writeText(String text) throws IOException {
        return writeFrame(true, 0, TEXT, true, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Encodes one WebSocket frame exactly as told (RFC 6455 §5.2), including what the RFC forbids.
     *
     * @param rsv the three reserved bits, 0..7
     */
    public static byte[] frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
        final ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + 14);
        b.write((fin ? 0x80 : 0) | (rsv & 0x7) << 4 | opcode & 0xF);
        final int maskBit = masked ? 0x80 : 0;
        if (payload.length < 126) {
            b.write(maskBit | payload.length);
        } else if (payload.length <= 0xFFFF) {
            b.write(maskBit | 126);
            b.write(payload.length >>> 8);
            b.write(payload.length & 0xFF);
        } else {
            b.write(maskBit | 127);
            final long len = payload.length;
            for (int shift = 56; shift >= 0; shift -= 8) {
                b.write((int) (len >>> shift) & 0xFF);
            }
        }
        if (masked) {
            final byte[] mask = new byte[4];
            ThreadLocalRandom.current().nextBytes(mask);
            b.writeBytes(mask);
            for (int i = 0; i < payload.length; i++) {
                b.write(payload[i] ^ mask[i & 3]);
            }
        } else {
            b.writeBytes(payload);
        }
        return b.toByteArray();
    }

    /** Reads a response's status line and headers, and a body of {@code Content-Length} bytes if any. */
    public HttpResponse readResponse() throws IOException {
        final String head = readHead();
        final String[] lines = head.split("\r\n");
        final String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            return fail("not an HTTP status line: " + lines[0]);
        }
        final Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            final int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
            }
        }
        final String length = headers.get("content-length");
        final byte[] body = length == null ? new byte[0] : readFully(Integer.parseInt(length));
        return new HttpResponse(Integer.parseInt(statusLine[1]), headers, new String(body, StandardCharsets.UTF_8));
    }

    private String readHead() throws IOException {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            final int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed after " + head.size() + " bytes of the response head: "
                                       + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(c);
            matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3))
                      ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        final byte[] bytes = head.toByteArray();
        return new String(bytes, 0, bytes.length - 4, StandardCharsets.ISO_8859_1);
    }

    /** Reads one server frame (servers never mask). */
    public Frame readFrame() throws IOException {
        final int b0 = readByte();
        final int b1 = readByte();
        long len = b1 & 0x7F;
        if (len == 126) {
            len = readByte() << 8 | readByte();
        } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
                len = len << 8 | readByte();
            }
        }
        if ((b1 & 0x80) != 0) {
            return fail("the server sent a masked frame (RFC 6455 §5.1)");
        }
        return new Frame((b0 & 0x80) != 0, b0 & 0x0F, readFully(Math.toIntExact(len)));
    }

    /**
     * Reads frames until the server's close frame and returns its status, skipping anything before it; 1006 if the
     * connection ends without one. Fails the test if neither happens within the socket's read timeout.
     */
    public CloseStatus readClose() throws IOException {
        try {
            while (true) {
                final Frame frame = readFrame();
                if (frame.opcode() == CLOSE) {
                    final byte[] p = frame.payload();
                    if (p.length < 2) {
                        return new CloseStatus(1005, "");
                    }
                    return new CloseStatus((p[0] & 0xFF) << 8 | p[1] & 0xFF,
                                           new String(p, 2, p.length - 2, StandardCharsets.UTF_8));
                }
            }
        } catch (EOFException | SocketException e) {
            return CloseStatus.abnormal();
        }
    }

    /**
     * Waits until the server closes the connection, discarding whatever it sends; fails the test if it is still
     * open after {@code timeout}.
     */
    public void awaitEof(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            final byte[] sink = new byte[4096];
            while (in.read(sink) >= 0) {
                // discard
            }
        } catch (SocketTimeoutException e) {
            fail("connection still open after " + timeout.toMillis() + " ms");
        } catch (SocketException e) {
            // reset by the server: closed too
        }
    }

    /**
     * Reads until the server closes the connection and returns every byte it sent meanwhile; fails the test if it
     * is still open after {@code timeout}.
     */
    public byte[] readRemaining(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            final byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            fail("connection still open after " + timeout.toMillis() + " ms");
        } catch (SocketException e) {
            // reset by the server: closed too
        }
        return out.toByteArray();
    }

    /** Sets the read timeout for what follows. */
    public RawSocket readTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        return this;
    }

    /** The underlying socket (e.g. to shrink its receive buffer before connecting elsewhere). */
    public Socket socket() {
        return socket;
    }

    private int readByte() throws IOException {
        final int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed");
        }
        return b;
    }

    private byte[] readFully(int n) throws IOException {
        final byte[] bytes = in.readNBytes(n);
        if (bytes.length < n) {
            throw new EOFException("connection closed after " + bytes.length + " of " + n + " bytes");
        }
        return bytes;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
