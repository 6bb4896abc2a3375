package io.switchboard.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP/1.1 on both listeners (#16): nothing pipelined behind a request that ends the connection is read or processed,
 * an upgrade included, whether the client asked to close or the server answered with {@code Connection: close}.
 */
class PipeliningIT {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    private static final String HEALTH_CLOSE = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    private WsTestClient connect(String userId) {
        final WsTestClient c = gateway.connect(gateway.user(userId));
        c.send(Envelope.client("ping", "p", null, null));
        c.next("pong", WsTestClient.TIMEOUT);
        return c;
    }

    /** Sends {@code requests} in one write, reads one response, then asserts the server closes with nothing more. */
    private static RawSocket.HttpResponse onlyOneAnswer(InetSocketAddress address, String requests) throws IOException {
        try (RawSocket raw = RawSocket.connect(address)) {
            raw.write(requests);
            final RawSocket.HttpResponse first = raw.readResponse();
            final String rest = restUntilEof(raw);
            assertEquals("", rest, "answered after the request that closed the connection");
            return first;
        }
    }

    private static String restUntilEof(RawSocket raw) throws IOException {
        raw.readTimeout(WsTestClient.TIMEOUT);
        final InputStream in = raw.socket().getInputStream();
        final ByteArrayOutputStream rest = new ByteArrayOutputStream();
        final byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                rest.write(buf, 0, n);
            }
        } catch (SocketException e) {
            // reset: closed too
        }
        return rest.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void anUpgradePipelinedAfterConnectionCloseIsNotProcessed() throws Exception {
        try (WsTestClient u = connect("u")) {
            final RawSocket.HttpResponse res = onlyOneAnswer(gateway.address(), HEALTH_CLOSE
                    + RawSocket.upgradeRequest("/pinter/imserver/u", "127.0.0.1"));
            assertEquals(200, res.status());
            assertEquals("close", res.header("connection"));
            // The existing connection of u was not replaced (4001).
            u.send(Envelope.client("ping", "p2", null, null));
            assertEquals("pong", u.next("pong", WsTestClient.TIMEOUT).type());
            assertTrue(u.isOpen());
        }
    }

    @Test
    void anUpgradePipelinedAfterARefusedOneIsNotProcessed() throws Exception {
        try (WsTestClient u = connect("u")) {
            final RawSocket.HttpResponse res = onlyOneAnswer(gateway.address(),
                    RawSocket.upgradeRequest("/pinter/imserver/system", "127.0.0.1")
                    + RawSocket.upgradeRequest("/pinter/imserver/u", "127.0.0.1"));
            assertEquals(400, res.status());
            u.send(Envelope.client("ping", "p2", null, null));
            assertEquals("pong", u.next("pong", WsTestClient.TIMEOUT).type());
        }
    }

    @Test
    void requestsPipelinedAfterConnectionCloseOnTheMainPortAreNotAnswered() throws Exception {
        assertEquals(200, onlyOneAnswer(gateway.address(), HEALTH_CLOSE + HEALTH_CLOSE
                + "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n").status());
        // HTTP/1.0 without keep-alive closes too.
        assertEquals(200, onlyOneAnswer(gateway.address(), "GET /healthz HTTP/1.0\r\n\r\n"
                + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status());
    }

    @Test
    void aPushPipelinedAfterConnectionCloseOnTheApiIsNotProcessed() throws Exception {
        try (WsTestClient u = connect("u")) {
            final String body = "{\"to\":\"u\",\"msg\":\"%s\"}";
            final String first = String.format(body, "first");
            final String second = String.format(body, "second");
            final RawSocket.HttpResponse res = onlyOneAnswer(gateway.gateway().apiAddress(),
                    "POST /api/v1/push HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + first.length() + "\r\n\r\n" + first
                    + "POST /api/v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + second.length() + "\r\n\r\n" + second);
            assertEquals(200, res.status());
            assertEquals("first", u.next("normal", WsTestClient.TIMEOUT).msg());
            u.assertNoMessage(Duration.ofMillis(300));
        }
    }

    @Test
    void keepAliveRequestsAreStillAnsweredInOrder() throws Exception {
        try (RawSocket raw = RawSocket.connect(gateway.address())) {
            raw.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n" + HEALTH_CLOSE);
            assertEquals(200, raw.readResponse().status());
            assertEquals(200, raw.readResponse().status());
            assertEquals(200, raw.readResponse().status());
            assertEquals("", restUntilEof(raw));
        }
    }
}
