package io.switchboard.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.testing.CloseStatus;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.HttpTestClient;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The server-side API ({@code docs/API.md}) against a real gateway on 127.0.0.1:0. */
class PushApiIT {

    private static final String KEY = "test-api-key";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(
            b -> b.apiKey(KEY).reconnectGrace(Duration.ofMinutes(1)));

    private static HttpTestClient api() {
        return gateway.api(KEY);
    }

    private static JsonNode json(HttpResponse<String> res) throws Exception {
        return JSON.readTree(res.body());
    }

    private static void assertCounts(HttpResponse<String> res, int delivered, int held, int unknown)
            throws Exception {
        assertEquals(200, res.statusCode(), res.body());
        final JsonNode body = json(res);
        assertEquals(delivered, body.get("delivered").asInt(), res.body());
        assertEquals(held, body.get("held").asInt(), res.body());
        assertEquals(unknown, body.get("unknown").asInt(), res.body());
    }

    /** Connects and waits until the gateway has registered the session (a ping round trip). */
    private WsTestClient connect(URI uri) {
        final WsTestClient c = gateway.connect(uri);
        c.send(Envelope.client("ping", "p", null, null));
        c.next("pong", WsTestClient.TIMEOUT);
        return c;
    }

    @Test
    void pushToAnOnlineUser() throws Exception {
        try (WsTestClient alice = connect(gateway.user("alice"))) {
            assertCounts(api().post("/api/v1/push", "{\"to\":\"alice\",\"msg\":\"hello\",\"msgId\":\"m1\"}"), 1, 0, 0);
            final Envelope got = alice.next("normal", WsTestClient.TIMEOUT);
            assertEquals("system", got.from());
            assertEquals("alice", got.to());
            assertEquals("hello", got.msg());
            assertEquals("m1", got.msgId());
            assertEquals("0", got.code());
        }
    }

    @Test
    void pushToAnOfflinePairedUserIsHeldAndDeliveredOnReconnect() throws Exception {
        try (WsTestClient agent = connect(gateway.agent("ag1"))) {
            final WsTestClient u1 = connect(gateway.user("u1"));
            u1.send(Envelope.client("match", "1", "system", null));
            u1.next("match", WsTestClient.TIMEOUT);
            final var closed = gateway.internals().serverSideClosed("u1");
            u1.close();
            closed.get(5, TimeUnit.SECONDS);

            assertCounts(api().post("/api/v1/push", "{\"to\":\"u1\",\"type\":\"notice\",\"msg\":\"while away\"}"),
                         0, 1, 0);
            try (WsTestClient back = gateway.connect(gateway.user("u1"))) {
                final Envelope got = back.next("notice", WsTestClient.TIMEOUT);
                assertEquals("while away", got.msg());
            }
        }
    }

    @Test
    void pushToAnUnknownUserIsNotHeld() throws Exception {
        assertCounts(api().post("/api/v1/push", "{\"to\":\"nobody\",\"msg\":\"x\"}"), 0, 0, 1);
        assertEquals(0, api().json("/api/v1/stats").get("offlineHeld").asInt());
    }

    @Test
    void pushToAListSharesOneEncoding() throws Exception {
        try (WsTestClient a = connect(gateway.user("a")); WsTestClient b = connect(gateway.user("b"))) {
            assertCounts(api().post("/api/v1/push", "{\"to\":[\"a\",\"b\",\"ghost\"],\"msg\":\"all\",\"msgId\":\"x\"}"),
                         2, 0, 1);
            for (WsTestClient c : new WsTestClient[] {a, b}) {
                final Envelope got = c.next("normal", WsTestClient.TIMEOUT);
                assertEquals("*", got.to());
                assertEquals("all", got.msg());
                assertEquals("x", got.msgId());
            }
        }
    }

    @Test
    void pushToARole() throws Exception {
        try (WsTestClient ag1 = connect(gateway.agent("ag1")); WsTestClient ag2 = connect(gateway.agent("ag2"));
             WsTestClient user = connect(gateway.user("u"))) {
            assertCounts(api().post("/api/v1/push", "{\"role\":\"agent\",\"type\":\"announce\",\"msg\":\"standup\"}"),
                         2, 0, 0);
            assertEquals("standup", ag1.next("announce", WsTestClient.TIMEOUT).msg());
            assertEquals("standup", ag2.next("announce", WsTestClient.TIMEOUT).msg());
            user.assertNoMessage(Duration.ofMillis(200));
        }
    }

    @Test
    void unauthorizedWithoutOrWithAWrongKey() throws Exception {
        for (HttpTestClient c : new HttpTestClient[] {api().withKey(null), api().withKey("wrong"), api().withKey("")}) {
            final HttpResponse<String> res = c.post("/api/v1/push", "{\"to\":\"a\",\"msg\":\"x\"}");
            assertEquals(401, res.statusCode());
            assertEquals(401, json(res).get("status").asInt());
            assertTrue(res.headers().firstValue("WWW-Authenticate").isPresent());
            assertEquals(401, c.get("/api/v1/stats").statusCode());
        }
        // Operational endpoints stay open for probes and scrapers.
        assertEquals(200, api().withKey(null).get("/healthz").statusCode());
        assertEquals(200, api().withKey(null).get("/readyz").statusCode());
    }

    @Test
    void malformedRequestsAre4xxWithAnErrorBody() throws Exception {
        final String[][] cases = {
                {"{not json", "malformed JSON"},
                {"[1,2]", "the body must be a JSON object"},
                {"{\"msg\":\"x\"}", "give exactly one of 'to' and 'role'"},
                {"{\"to\":\"a\",\"role\":\"agent\",\"msg\":\"x\"}", "give exactly one of 'to' and 'role'"},
                {"{\"to\":\"a\"}", "msg is required (a string)"},
                {"{\"to\":\"a\",\"msg\":1}", "msg must be a string"},
                {"{\"to\":[],\"msg\":\"x\"}", null},
                {"{\"to\":\"a b\",\"msg\":\"x\"}", null},
                {"{\"role\":\"admin\",\"msg\":\"x\"}", "role must be 'user' or 'agent'"},
        };
        for (String[] c : cases) {
            final HttpResponse<String> res = api().post("/api/v1/push", c[0]);
            assertEquals(400, res.statusCode(), c[0] + " -> " + res.body());
            final JsonNode body = json(res);
            assertEquals(400, body.get("status").asInt());
            if (c[1] != null) {
                assertEquals(c[1], body.get("error").asText());
            }
        }
        assertEquals(405, api().get("/api/v1/push").statusCode());
        assertEquals(404, api().get("/api/v1/nothing").statusCode());
    }

    @Test
    void userLookupAndDisconnect() throws Exception {
        try (WsTestClient alice = connect(gateway.user("alice"))) {
            final JsonNode user = json(api().get("/api/v1/users/alice"));
            assertTrue(user.get("online").asBoolean());
            assertEquals("user", user.get("role").asText());
            assertTrue(user.get("connectedAt").asLong() > 0);

            assertEquals(204, api().delete("/api/v1/users/alice/connection").statusCode());
            final CloseStatus close = alice.awaitClose(WsTestClient.TIMEOUT);
            assertEquals(4003, close.code());
        }
        assertEquals(404, api().delete("/api/v1/users/alice/connection").statusCode());
        final JsonNode gone = json(api().get("/api/v1/users/nobody"));
        assertEquals(false, gone.get("online").asBoolean());
    }

    @Test
    void queueAndAgentStatus() throws Exception {
        try (WsTestClient agent = connect(gateway.agent("ag")); WsTestClient u1 = connect(gateway.user("u1"));
             WsTestClient u2 = connect(gateway.user("u2"))) {
            assertEquals("available", json(api().get("/api/v1/users/ag")).get("status").asText());
            agent.send(Envelope.client("status", "s", null, "away"));
            agent.next("status", WsTestClient.TIMEOUT);
            assertEquals("away", json(api().get("/api/v1/users/ag")).get("status").asText());
            u1.send(Envelope.client("match", "m", "system", "queue"));
            u1.next("queue", WsTestClient.TIMEOUT);
            u2.send(Envelope.client("match", "m", "system", "queue"));
            u2.next("queue", WsTestClient.TIMEOUT);

            final JsonNode queue = json(api().get("/api/v1/queue"));
            assertEquals(2, queue.get("length").asInt());
            assertEquals("u1", queue.at("/waiting/0/userId").asText());
            assertEquals(1, queue.at("/waiting/0/position").asInt());
            assertEquals("u2", queue.at("/waiting/1/userId").asText());
            assertTrue(queue.get("longestWaitMs").asLong() >= queue.at("/waiting/1/waitingMs").asLong());
            assertEquals(2, json(api().get("/api/v1/users/u2")).get("queuePosition").asInt());
            assertTrue(json(api().get("/api/v1/users/u2")).get("status").isNull());
        }
        assertEquals(405, api().delete("/api/v1/queue").statusCode());
    }

    @Test
    void stats() throws Exception {
        try (WsTestClient agent = connect(gateway.agent("ag")); WsTestClient user = connect(gateway.user("u"))) {
            user.send(Envelope.client("match", "1", "system", null));
            user.next("match", WsTestClient.TIMEOUT);
            user.send(Envelope.client("normal", "2", "ag", "hi"));
            user.next("receipt", WsTestClient.TIMEOUT);
            final JsonNode stats = json(api().get("/api/v1/stats"));
            assertEquals(1, stats.at("/connections/user").asInt());
            assertEquals(1, stats.at("/connections/agent").asInt());
            assertEquals(1, stats.get("pairs").asInt());
            assertEquals(1, stats.get("messagesRouted").asInt());
            assertEquals(0, stats.get("offlineHeld").asInt());
        }
    }

    /** Sends {@code method path} raw to the API listener (HttpClient refuses malformed escapes in a URI). */
    private RawSocket.HttpResponse rawApi(String method, String path) throws Exception {
        try (RawSocket raw = RawSocket.connect(gateway.gateway().apiAddress())) {
            return raw.write(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY
                             + "\r\nConnection: close\r\n\r\n").readResponse();
        }
    }

    @Test
    void userIdsInApiPathsAreDecodedOnceAndMalformedOnesAreBadRequests() throws Exception {
        // Issue #16: %zz got no response at all; a%2541 was decoded twice and so named "aA".
        assertEquals(400, rawApi("GET", "/api/v1/users/%zz").status());
        assertEquals(400, rawApi("GET", "/api/v1/users/%C3%28").status());
        try (WsTestClient plain = connect(gateway.user("aA"));
             WsTestClient encoded = connect(gateway.uri("/pinter/imserver/a%2541"))) {
            assertEquals(204, rawApi("DELETE", "/api/v1/users/a%2541/connection").status());
            assertEquals(4003, encoded.awaitClose(WsTestClient.TIMEOUT).code(), "a%41 is the one disconnected");
            assertTrue(plain.isOpen(), "aA must stay connected");
        }
        // Routes match the raw path: an encoded prefix is not the API.
        assertEquals(404, rawApi("GET", "/%61pi/v1/stats").status());
    }
}
