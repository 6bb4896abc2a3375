package io.switchboard.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.HttpTestClient;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The API's JSON is as strict as the protocol codec, its bodies must say they are JSON, browser requests from other
 * origins are refused, and a push answers exactly what happened to each recipient (#16).
 */
class ApiHardeningIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(b -> b.reconnectGrace(Duration.ofMinutes(1)));

    private static HttpTestClient api() {
        return gateway.api();
    }

    private WsTestClient connect(URI uri) {
        final WsTestClient c = gateway.connect(uri);
        c.send(Envelope.client("ping", "p", null, null));
        c.next("pong", WsTestClient.TIMEOUT);
        return c;
    }

    private static JsonNode ok(HttpResponse<String> res) throws Exception {
        assertEquals(200, res.statusCode(), res.body());
        return JSON.readTree(res.body());
    }

    private static void assertRefused(int status, String error, HttpResponse<String> res) throws Exception {
        assertEquals(status, res.statusCode(), res.body());
        final JsonNode body = JSON.readTree(res.body());
        assertEquals(status, body.get("status").asInt());
        assertEquals(error, body.get("error").asText());
    }

    private static RawSocket.HttpResponse raw(String request) throws Exception {
        try (RawSocket raw = RawSocket.connect(gateway.gateway().apiAddress())) {
            raw.write(request);
            return raw.readResponse();
        }
    }

    private static String push(String contentType, String origin, String body) {
        return "POST /api/v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
               + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
               + (origin == null ? "" : "Origin: " + origin + "\r\n")
               + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void trailingBytesDuplicateKeysAndWrongTypesAre400AndDeliverNothing() throws Exception {
        try (WsTestClient u = connect(gateway.user("u"))) {
            assertRefused(400, "malformed JSON: bytes after the object",
                          api().post("/api/v1/push", "{\"to\":\"u\",\"msg\":\"x\"}garbage"));
            assertRefused(400, "malformed JSON: bytes after the object",
                          api().post("/api/v1/push", "{\"to\":\"u\",\"msg\":\"x\"} {}"));
            assertRefused(400, "malformed JSON: a key is given twice",
                          api().post("/api/v1/push", "{\"to\":\"nobody\",\"to\":\"u\",\"msg\":\"x\"}"));
            assertRefused(400, "msg must be a string", api().post("/api/v1/push", "{\"to\":\"u\",\"msg\":5}"));
            assertRefused(400, "msg must be a string", api().post("/api/v1/push", "{\"to\":\"u\",\"msg\":{}}"));
            assertRefused(400, "type must be a string",
                          api().post("/api/v1/push", "{\"to\":\"u\",\"msg\":\"x\",\"type\":true}"));
            assertRefused(400, "to must hold userId strings",
                          api().post("/api/v1/push", "{\"to\":[\"u\",7],\"msg\":\"x\"}"));
            assertRefused(400, "role must be 'user' or 'agent'",
                          api().post("/api/v1/push", "{\"role\":1,\"msg\":\"x\"}"));
            u.assertNoMessage(Duration.ofMillis(200));
        }
    }

    @Test
    void aBodyMustBeDeclaredJson() throws Exception {
        try (WsTestClient u = connect(gateway.user("u"))) {
            final String body = "{\"to\":\"u\",\"msg\":\"x\"}";
            for (String type : new String[] {null, "text/plain", "application/x-www-form-urlencoded",
                                             "multipart/form-data; boundary=x", "application/jsonp"}) {
                final RawSocket.HttpResponse res = raw(push(type, null, body));
                assertEquals(415, res.status(), () -> type + ": " + res);
                assertTrue(res.body().contains("Content-Type must be application/json"), res::body);
            }
            u.assertNoMessage(Duration.ofMillis(200));
            assertEquals(200, raw(push("Application/JSON; charset=utf-8", null, body)).status());
            assertEquals("x", u.next("normal", WsTestClient.TIMEOUT).msg());
        }
    }

    @Test
    void aBrowserRequestFromAnOriginNotAllowedIs403() throws Exception {
        try (WsTestClient u = connect(gateway.user("u"))) {
            final String body = "{\"to\":\"u\",\"msg\":\"x\"}";
            // A cross-site page: refused before anything is read, whatever the route or the method.
            assertEquals(403, raw(push("application/json", "https://evil.example", body)).status());
            assertEquals(403, raw(push("application/json", "null", body)).status());
            assertEquals(403, raw("GET /api/v1/stats HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n"
                                  + "Connection: close\r\n\r\n").status());
            assertEquals(403, raw("DELETE /api/v1/users/u/connection HTTP/1.1\r\nHost: x\r\n"
                                  + "Origin: http://127.0.0.1:8080\r\nConnection: close\r\n\r\n").status());
            u.assertNoMessage(Duration.ofMillis(200));
            assertTrue(u.isOpen());
        }
    }

    @Test
    void anAllowedOriginIsServed() throws Exception {
        gateway.start(b -> b.apiAllowedOrigins(List.of("https://ops.example")));
        try (WsTestClient u = connect(gateway.user("u"))) {
            assertEquals(200, raw(push("application/json", "https://ops.example", "{\"to\":\"u\",\"msg\":\"x\"}"))
                    .status());
            assertEquals("x", u.next("normal", WsTestClient.TIMEOUT).msg());
            assertEquals(403, raw(push("application/json", "https://ops.example.evil", "{\"to\":\"u\",\"msg\":\"y\"}"))
                    .status());
        }
    }

    @Test
    void aRecipientListedManyTimesGetsTheMessageOnce() throws Exception {
        try (WsTestClient u = connect(gateway.user("u"))) {
            final StringBuilder to = new StringBuilder("[");
            for (int i = 0; i < 300; i++) {
                to.append(i == 0 ? "" : ",").append("\"u\"");
            }
            final JsonNode answer = ok(api().post("/api/v1/push", "{\"to\":" + to + "],\"msg\":\"once\"}"));
            assertEquals(1, answer.get("delivered").asInt(), answer::toString);
            assertEquals(0, answer.get("held").asInt(), answer::toString);
            assertEquals(0, answer.get("dropped").asInt(), answer::toString);
            assertEquals("once", u.next("normal", WsTestClient.TIMEOUT).msg());
            u.assertNoMessage(Duration.ofMillis(300));
            assertEquals(1, api().metric("switchboard_push_recipients_total{outcome=\"delivered\"}"));
        }
    }

    @Test
    void heldCountsOnlyWhatTheHoldKeptAndDroppedTheRest() throws Exception {
        gateway.start(b -> b.offlineMaxPerUser(1).offlineMaxTotal(1).reconnectGrace(Duration.ofMinutes(1)));
        try (WsTestClient agent = connect(gateway.agent("ag"))) {
            for (String id : new String[] {"u1", "u2"}) {
                final WsTestClient u = connect(gateway.user(id));
                u.send(Envelope.client("match", "m", "system", null));
                u.next("match", WsTestClient.TIMEOUT);
                final var closed = gateway.internals().serverSideClosed(id);
                u.close();
                closed.get(5, TimeUnit.SECONDS);
            }
            // Both are known (paired, in their grace period), but the hold takes one message in all.
            final JsonNode answer = ok(api().post("/api/v1/push", "{\"to\":[\"u1\",\"u2\",\"u3\"],\"msg\":\"x\"}"));
            assertEquals(0, answer.get("delivered").asInt(), answer::toString);
            assertEquals(1, answer.get("held").asInt(), answer::toString);
            assertEquals(1, answer.get("dropped").asInt(), answer::toString);
            assertEquals(1, answer.get("unknown").asInt(), answer::toString);
            assertEquals(1, api().json("/api/v1/stats").get("offlineHeld").asInt());
            assertEquals(1, api().metric("switchboard_push_recipients_total{outcome=\"dropped\"}"));
        }
    }
}
