package io.switchboard.gateway.handshake;

import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.Conversations;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.HandshakeRejected;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.RawSocket.HttpResponse;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PROTOCOL.md §1, connecting: the userId rule, RFC 6455 only, roles, and the plain HTTP endpoints. */
class HandshakeIT {

    private static final String WS = "/pinter/imserver/";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(b -> b.handshakeTimeout(Duration.ofMillis(500)));

    private HttpResponse send(String request) throws IOException {
        try (RawSocket raw = RawSocket.connect(gateway.address())) {
            return raw.write(request).readResponse();
        }
    }

    private String host() {
        return "127.0.0.1:" + gateway.address().getPort();
    }

    @Test
    void theIdsTheGatewayWritesItselfCannotConnect() throws IOException {
        // Issue #16: an agent named "system" sent messages that arrived from:"system", like the gateway's own.
        for (String id : new String[] {"system", "*", "%2A", "system?role=agent"}) {
            assertEquals(400, send(RawSocket.upgradeRequest(WS + id, host())).status(), id);
        }
    }

    @Test
    void aMalformedEscapeInTheQueryIsABadRequestNotAServerError() throws IOException {
        // Issue #16: this was a 500 with a stack trace per request.
        for (String query : new String[] {"?x=%zz", "?role=%zz", "?token=abc%"}) {
            final HttpResponse response = send(RawSocket.upgradeRequest(WS + "u1" + query, host()));
            assertEquals(400, response.status(), query);
        }
        // The gateway is fine afterwards.
        gateway.connect(gateway.user("u1")).close();
    }

    /** The userId the server gave this connection, as it stamps it on a pong's {@code to}. */
    private static String userIdOf(WsTestClient client) {
        client.send(Envelope.client("ping", "p", null, null));
        return client.next("pong", TIMEOUT).to();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "",                 // empty
            "%2F",              // an encoded slash
            "a%2Fb",
            "a%20b",            // whitespace
            "a%09b",
            "%E3%80%80",        // ideographic space
            "a%00b",            // control characters
            "a%7Fb",
            "%zz",              // not percent-encoding
            "a%",
            "%E4%BD",           // truncated UTF-8
            "a/b",              // an extra path segment
            "a/",
    })
    void badUserIdIs400BeforeTheUpgrade(String rawUserId) throws IOException {
        final HttpResponse response = send(RawSocket.upgradeRequest(WS + rawUserId, host()));
        assertEquals(400, response.status(), () -> "userId '" + rawUserId + "': " + response);
        assertTrue(response.header("content-type").startsWith("application/json"), response::toString);
    }

    @Test
    void userIdOf129CharactersIs400And128IsAccepted() throws IOException {
        final HttpResponse response = send(RawSocket.upgradeRequest(WS + "u".repeat(129), host()));
        assertEquals(400, response.status());
        final String longest = "u".repeat(128);
        try (WsTestClient client = gateway.connect(gateway.user(longest))) {
            assertEquals(longest, userIdOf(client));
        }
        // Characters, not bytes: 128 Chinese characters (384 UTF-8 bytes) are fine, 129 are not.
        try (WsTestClient client = gateway.connect(gateway.user("学".repeat(128)))) {
            assertEquals("学".repeat(128), userIdOf(client));
        }
        assertEquals(400, assertThrows(HandshakeRejected.class,
                () -> gateway.connect(gateway.user("学".repeat(129)))).status());
    }

    @Test
    void percentEncodedChineseUserIdIsDecoded() {
        try (WsTestClient client = gateway.connect(gateway.uri(WS + "%E5%BC%A0%E4%B8%89"))) {
            assertEquals("张三", userIdOf(client));
        }
    }

    @Test
    void plusInThePathIsAPlusNotASpace() {
        try (WsTestClient client = gateway.connect(gateway.uri(WS + "a+b"))) {
            assertEquals("a+b", userIdOf(client));
        }
    }

    @Test
    void unknownPathIs404() throws IOException {
        assertEquals(404, send(RawSocket.upgradeRequest("/chat/admin", host())).status());
        assertEquals(404, send(RawSocket.upgradeRequest("/pinter/imserverX/admin", host())).status());
        assertEquals(404, send("GET /nope HTTP/1.1\r\nHost: " + host() + "\r\n\r\n").status());
    }

    @Test
    void upgradeThatIsNotAGetIs405() throws IOException {
        final String request = RawSocket.upgradeRequest(WS + "admin", host()).replaceFirst("^GET", "POST");
        final HttpResponse response = send(request);
        assertEquals(405, response.status());
        assertEquals("GET", response.header("allow"));
    }

    @Test
    void plainGetOnTheWebSocketPathIs426() throws IOException {
        final HttpResponse response = send("GET " + WS + "admin HTTP/1.1\r\nHost: " + host() + "\r\n\r\n");
        assertEquals(426, response.status());
        assertEquals("13", response.header("sec-websocket-version"));
    }

    @Test
    void olderWebSocketVersionIs426NamingVersion13() throws IOException {
        final String request = RawSocket.upgradeRequest(WS + "admin", host())
                                        .replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8");
        final HttpResponse response = send(request);
        assertEquals(426, response.status());
        assertEquals("13", response.header("sec-websocket-version"));
        // Hixie-76 and other drafts send no version at all.
        final HttpResponse noVersion = send(RawSocket.upgradeRequest(WS + "admin", host())
                                                     .replace("Sec-WebSocket-Version: 13\r\n", ""));
        assertEquals(426, noVersion.status());
        assertEquals("13", noVersion.header("sec-websocket-version"));
    }

    @Test
    void http10Is400() throws IOException {
        final String request = RawSocket.upgradeRequest(WS + "admin", host()).replace("HTTP/1.1", "HTTP/1.0");
        assertEquals(400, send(request).status());
    }

    @Test
    void missingHostIs400() throws IOException {
        final String request = RawSocket.upgradeRequest(WS + "admin", host()).replace("Host: " + host() + "\r\n", "");
        assertEquals(400, send(request).status());
    }

    @ParameterizedTest(name = "[{index}] key ''{0}''")
    @ValueSource(strings = {"", "not-base64!", "dGhlIHNhbXBsZSBub25jZQ", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    void badSecWebSocketKeyIs400(String key) throws IOException {
        final String request = RawSocket.upgradeRequest(WS + "admin", host())
                                        .replaceFirst("Sec-WebSocket-Key: [^\r]*", "Sec-WebSocket-Key: " + key);
        assertEquals(400, send(request).status());
    }

    @Test
    void missingSecWebSocketKeyIs400() throws IOException {
        final String request = RawSocket.upgradeRequest(WS + "admin", host())
                                        .replaceFirst("Sec-WebSocket-Key: [^\r]*\r\n", "");
        assertEquals(400, send(request).status());
    }

    @Test
    void roleAgentIsAnAgentAndRoleUserIsAUser() {
        try (WsTestClient agent = gateway.connect(gateway.uri(WS + "t1?role=agent"));
             WsTestClient user = gateway.connect(gateway.uri(WS + "u1?role=user"))) {
            Conversations.pair(user, "u1", agent, "t1");
            // An agent cannot be matched like a user.
            agent.send(Envelope.client("match", "m", "system", null));
            final Envelope refused = agent.next("match", TIMEOUT);
            assertEquals("1", refused.code());
        }
    }

    @Test
    void unknownRoleIs400() throws IOException {
        assertEquals(400, send(RawSocket.upgradeRequest(WS + "admin?role=boss", host())).status());
        assertEquals(400, assertThrows(HandshakeRejected.class,
                () -> gateway.connect(gateway.uri(WS + "admin?role=boss"))).status());
    }

    @Test
    void healthzIs200Json() throws IOException {
        final HttpResponse response =
                send("GET /healthz HTTP/1.1\r\nHost: " + host() + "\r\nConnection: close\r\n\r\n");
        assertEquals(200, response.status());
        assertTrue(response.header("content-type").startsWith("application/json"), response::toString);
        assertTrue(response.body().startsWith("{") && response.body().contains("\"status\":\"UP\""),
                   response::body);
    }

    @Test
    void readyzIs200WhileServing() throws IOException {
        final HttpResponse response = send("GET /readyz HTTP/1.1\r\nHost: " + host() + "\r\nConnection: close\r\n\r\n");
        assertEquals(200, response.status());
    }

    @Test
    void silentConnectionIsClosedAfterTheHandshakeTimeout() throws IOException {
        try (RawSocket raw = RawSocket.connect(gateway.address())) {
            raw.awaitEof(Duration.ofSeconds(3));
        }
        // Half a request line is no better than silence.
        try (RawSocket raw = RawSocket.connect(gateway.address())) {
            raw.write("GET " + WS + "adm");
            raw.awaitEof(Duration.ofSeconds(3));
        }
    }
}
