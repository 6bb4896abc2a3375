package io.switchboard.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Webhooks ({@code docs/WEBHOOKS.md}) to a real HTTP backend started in the test (the JDK's HttpServer). */
class WebhookIT {

    private static final String SECRET = "webhook-it-secret";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    /** One request the backend received: headers that matter and the raw body. */
    record Received(String event, String delivery, String signature, byte[] body, int answeredWith) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    private HttpServer backend;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    /** The backend answers 503 to this many requests first (it is "down"), then 200. */
    private final AtomicInteger failFirst = new AtomicInteger();

    @BeforeEach
    void startBackend() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/hooks", this::handle);
        backend.start();
    }

    @AfterEach
    void stopBackend() {
        gateway.stop(); // first: a gateway shutting down may still post to the backend
        backend.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        final byte[] body = exchange.getRequestBody().readAllBytes();
        final int status = failFirst.getAndDecrement() > 0 ? 503 : 200;
        received.add(new Received(exchange.getRequestHeaders().getFirst("X-Switchboard-Event"),
                                  exchange.getRequestHeaders().getFirst("X-Switchboard-Delivery"),
                                  exchange.getRequestHeaders().getFirst("X-Switchboard-Signature"), body, status));
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    private void startGateway(boolean archive) {
        final URI url = URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + "/hooks");
        gateway.start(b -> b.webhookUrls(List.of(url)).webhookSecret(SECRET)
                                          .webhookArchiveMessages(archive).webhookRetryWindow(Duration.ofMinutes(1))
                                          .reconnectGrace(Duration.ZERO));
    }

    /** The next accepted (2xx) delivery; failed attempts before it are skipped but counted in {@code failures}. */
    private Received nextAccepted(List<Received> failures) throws InterruptedException {
        while (true) {
            final Received r = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "no webhook arrived");
            if (r.answeredWith() == 200) {
                return r;
            }
            failures.add(r);
        }
    }

    private static String hmac(byte[] body) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    /** A user and an agent connect, match, chat, leave, write to system, and disconnect. */
    private void scriptedSession() {
        try (WsTestClient agent = gateway.connect(gateway.agent("ag"))) {
            agent.send(Envelope.client("ping", "p", null, null));
            agent.next("pong", WsTestClient.TIMEOUT);
            try (WsTestClient user = gateway.connect(gateway.user("u"))) {
                user.send(Envelope.client("match", "1", "system", null));
                user.next("match", WsTestClient.TIMEOUT);
                user.send(Envelope.client("normal", "2", "ag", "hi"));
                user.next("receipt", WsTestClient.TIMEOUT);
                user.send(Envelope.client("normal", "3", "system", "open a ticket"));
                final Envelope receipt = user.next("receipt", WsTestClient.TIMEOUT);
                assertEquals("push success", receipt.msg());
                assertEquals("0", receipt.code());
                user.send(Envelope.client("leave", "4", "ag", null));
                user.next("receipt", WsTestClient.TIMEOUT);
            }
        }
    }

    private static final List<String> SCRIPT = List.of("connect", "connect", "match", "message.routed",
                                                       "message.system", "leave", "disconnect", "disconnect");

    @Test
    void eventsArriveSignedAndInOrder() throws Exception {
        startGateway(true);
        scriptedSession();
        final List<Received> failures = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        final Set<String> deliveries = new HashSet<>();
        for (int i = 0; i < SCRIPT.size(); i++) {
            final Received r = nextAccepted(failures);
            assertEquals(hmac(r.body()), r.signature(), "signature of " + r.event());
            final JsonNode json = r.json();
            assertEquals(r.event(), json.get("event").asText());
            assertEquals(r.delivery(), json.get("deliveryId").asText());
            assertTrue(deliveries.add(r.delivery()), "delivery ids are unique");
            events.add(r.event());
            if (r.event().equals("message.system")) {
                assertEquals("u", json.at("/data/from").asText());
                assertEquals("open a ticket", json.at("/data/msg").asText());
                assertEquals("3", json.at("/data/msgId").asText());
            }
            if (r.event().equals("disconnect") && json.at("/data/userId").asText().equals("u")) {
                assertEquals(1000, json.at("/data/closeCode").asInt());
                assertEquals("client", json.at("/data/closedBy").asText());
            }
        }
        // The agent connects first; the user closes before the agent.
        assertEquals(SCRIPT, events);
        assertEquals(0, failures.size());
    }

    /** The §6 events: queued, dequeued (matched, left), status, transferred, each with its data. */
    @Test
    void customerServiceEvents() throws Exception {
        startGateway(false);
        try (WsTestClient a1 = gateway.connect(gateway.agent("a1"));
             WsTestClient u1 = gateway.connect(gateway.user("u1"));
             WsTestClient u2 = gateway.connect(gateway.user("u2"))) {
            a1.send(Envelope.client("status", "s", null, "away"));
            a1.next("status", WsTestClient.TIMEOUT);
            u1.send(Envelope.client("match", "m", "system", "queue"));
            u1.next("queue", WsTestClient.TIMEOUT);
            u2.send(Envelope.client("match", "m", "system", "queue"));
            u2.next("queue", WsTestClient.TIMEOUT);
            u2.send(Envelope.client("leave", "l", null, null));
            u2.next("receipt", WsTestClient.TIMEOUT);
            a1.send(Envelope.client("status", "s", null, "available"));
            a1.next("status", WsTestClient.TIMEOUT);
            u1.next("match", WsTestClient.TIMEOUT);
            try (WsTestClient a2 = gateway.connect(gateway.agent("a2"))) {
                a1.nextOfType("match", WsTestClient.TIMEOUT);
                a1.send(Envelope.client("transfer", "t", "u1", "a2"));
                a1.nextOfType("transfer", WsTestClient.TIMEOUT);
                a2.next("match", WsTestClient.TIMEOUT);
            }
        }
        final Map<String, List<JsonNode>> byEvent = new HashMap<>();
        final List<Received> failures = new ArrayList<>();
        while (!byEvent.containsKey("transferred")) {
            final Received r = nextAccepted(failures);
            byEvent.computeIfAbsent(r.event(), e -> new ArrayList<>()).add(r.json().get("data"));
        }
        final List<JsonNode> status = byEvent.get("status");
        assertEquals("a1", status.get(0).get("agentId").asText());
        assertEquals("away", status.get(0).get("status").asText());
        assertEquals("available", status.get(1).get("status").asText());
        final List<JsonNode> queued = byEvent.get("queued");
        assertEquals("u1", queued.get(0).get("userId").asText());
        assertEquals(1, queued.get(0).get("position").asInt());
        assertEquals(2, queued.get(1).get("position").asInt());
        final List<JsonNode> dequeued = byEvent.get("dequeued");
        assertEquals("u2", dequeued.get(0).get("userId").asText());
        assertEquals("left", dequeued.get(0).get("reason").asText());
        assertEquals("u1", dequeued.get(1).get("userId").asText());
        assertEquals("matched", dequeued.get(1).get("reason").asText());
        assertEquals("a1", dequeued.get(1).get("agentId").asText());
        assertTrue(dequeued.get(1).get("waitedMs").asLong() >= 0);
        final JsonNode transferred = byEvent.get("transferred").get(0);
        assertEquals("u1", transferred.get("userId").asText());
        assertEquals("a1", transferred.get("fromAgentId").asText());
        assertEquals("a2", transferred.get("toAgentId").asText());
    }

    @Test
    void backendDownThenUpLosesNothingWithinTheRetryWindow() throws Exception {
        failFirst.set(4);
        startGateway(false);
        scriptedSession();
        final List<Received> failures = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        final List<String> expected = SCRIPT.stream().filter(e -> !e.equals("message.routed")).toList();
        for (int i = 0; i < expected.size(); i++) {
            events.add(nextAccepted(failures).event());
        }
        assertEquals(expected, events);
        assertEquals(4, failures.size());
        // Every failed attempt was the first event, retried with the same delivery id.
        final String firstDelivery = failures.get(0).delivery();
        for (Received f : failures) {
            assertEquals("connect", f.event());
            assertEquals(firstDelivery, f.delivery());
        }
        assertEquals(4.0, gateway.api().metric("switchboard_webhooks_failed_total"));
    }
}
