package io.switchboard.gateway.webhook;

import static io.switchboard.gateway.testing.Conversations.pair;
import static io.switchboard.gateway.testing.Conversations.say;
import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.gateway.store.FileChatStore;
import io.switchboard.gateway.testing.GatewayProcess;
import io.switchboard.gateway.testing.HttpTestClient;
import io.switchboard.gateway.testing.TestGateway;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.gateway.testing.WsTestClients;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook outbox ({@code docs/WEBHOOKS.md}): with a data directory, events queued while the backend is down
 * survive a SIGTERM or a SIGKILL of the gateway (a real child process) and are delivered after the restart, in order,
 * with the same delivery id and body; events delivered are not sent again by the next run. What a previous run left
 * past its retry window is tried once more, and what it left for a URL no longer configured is dropped.
 */
class WebhookOutboxIT {

    private static final String SECRET = "webhook-outbox-it-secret";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static WsTestClients clients;

    @TempDir
    Path dataDir;

    /** One request the backend received, and what it answered. */
    record Received(String event, String delivery, String signature, byte[] body, int answeredWith) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String describe() {
            return event + ' ' + json().get("data");
        }
    }

    private HttpServer backend;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    /** Whether the backend accepts (200) or is "down" (503). */
    private volatile boolean up;

    @BeforeAll
    static void clients() {
        clients = new WsTestClients();
    }

    @AfterAll
    static void closeClients() {
        clients.close();
    }

    @BeforeEach
    void startBackend() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/hooks", this::handle);
        backend.start();
    }

    @AfterEach
    void stopBackend() {
        backend.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        final byte[] body = exchange.getRequestBody().readAllBytes();
        final int status = up ? 200 : 503;
        received.add(new Received(exchange.getRequestHeaders().getFirst(WebhookDispatcher.EVENT_HEADER),
                                  exchange.getRequestHeaders().getFirst(WebhookDispatcher.DELIVERY_HEADER),
                                  exchange.getRequestHeaders().getFirst(WebhookDispatcher.SIGNATURE_HEADER), body,
                                  status));
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    private GatewayProcess startGateway() throws Exception {
        final String url = "http://127.0.0.1:" + backend.getAddress().getPort() + "/hooks";
        return GatewayProcess.start(List.of("--data-dir", dataDir.toString(), "--reconnect-grace", "60s",
                                            "--webhook-urls", url, "--webhook-secret", SECRET,
                                            "--webhook-retry-window", "5m"));
    }

    private static WsTestClient connect(GatewayProcess gateway, String pathAndQuery) {
        return WsTestClient.connect(clients, gateway.uri("/pinter/imserver/" + pathAndQuery));
    }

    private static HttpTestClient http(GatewayProcess gateway) {
        return new HttpTestClient(URI.create(gateway.uri("").toString().replaceFirst("^ws:", "http:")), "");
    }

    /** The next request the backend answered with 200; those it refused meanwhile are skipped. */
    private Received nextAccepted() throws InterruptedException {
        while (true) {
            final Received r = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "no webhook arrived");
            if (r.answeredWith() == 200) {
                return r;
            }
        }
    }

    private static String hmac(byte[] body) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    @Test
    void eventsQueuedWhileTheBackendIsDownSurviveSigkill() throws Exception {
        queuedEventsSurvive(false);
    }

    @Test
    void eventsQueuedWhileTheBackendIsDownSurviveSigterm() throws Exception {
        queuedEventsSurvive(true);
    }

    private void queuedEventsSurvive(boolean graceful) throws Exception {
        final Received head;
        try (GatewayProcess first = startGateway()) {
            final WsTestClient agent = connect(first, "t1?role=agent");
            final WsTestClient user = connect(first, "u1");
            pair(user, "u1", agent, "t1");
            user.close();
            awaitHeld(agent, "u1");
            // The backend is down: the sender keeps trying the oldest event.
            head = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(head, "no webhook attempt");
            assertEquals(503, head.answeredWith());
            assertEquals("connect", head.event());
            if (graceful) {
                assertEquals(0, first.terminate(), first::output);
            } else {
                first.kill();
            }
            agent.awaitClose(TIMEOUT);
        }
        for (Received r; (r = received.poll()) != null; ) {
            assertEquals(head.delivery(), r.delivery(), "only the oldest event was tried: " + r.describe());
        }
        up = true;
        final List<String> expected = new ArrayList<>(List.of("connect t1", "connect u1", "match u1", "disconnect u1"));
        if (graceful) {
            expected.add("disconnect t1"); // the drain's close of the agent (1001), queued before the gateway stopped
        }
        final Set<String> deliveries = new HashSet<>();
        try (GatewayProcess second = startGateway()) {
            final List<String> events = new ArrayList<>();
            final Map<String, Received> byEvent = new HashMap<>();
            for (int i = 0; i < expected.size(); i++) {
                final Received r = nextAccepted();
                assertEquals(hmac(r.body()), r.signature(), "signature of " + r.describe());
                assertEquals(r.delivery(), r.json().get("deliveryId").asText());
                assertTrue(deliveries.add(r.delivery()), () -> "delivered twice: " + r.describe());
                if (i == 0) {
                    assertEquals(head.delivery(), r.delivery(), "the same delivery id after the restart");
                    assertArrayEquals(head.body(), r.body(), "the same body after the restart");
                }
                events.add(r.event() + ' ' + r.json().at("/data/userId").asText());
                byEvent.put(events.get(i), r);
            }
            assertEquals(expected, events, second::output);
            // (u1's own closeCode is 1000 or null: the test client sends its close frame and drops the socket at
            // once, and the gateway may see either first.)
            assertEquals(byEvent.get("connect u1").json().at("/data/connectionId"),
                         byEvent.get("disconnect u1").json().at("/data/connectionId"));
            if (graceful) {
                final Received drained = byEvent.get("disconnect t1");
                assertEquals(1001, drained.json().at("/data/closeCode").asInt(), drained::describe);
            }
            assertEquals((double) expected.size(), http(second).metric("switchboard_webhooks_restored_total"));
            // A new event comes after every restored one: nothing else was queued.
            connect(second, "m2").close();
            assertMarker("m2");
            assertEquals(0, second.terminate(), second::output);
        }
        try (GatewayProcess third = startGateway()) {
            // What the second run delivered is not sent again: the first event of this run is its own.
            connect(third, "m3").close();
            assertMarker("m3");
            assertEquals(0.0, http(third).metric("switchboard_webhooks_restored_total"));
        }
    }

    @Test
    void restoredEventsPastTheirWindowAreTriedOnceAndThoseOfRemovedUrlsAreDropped() throws Exception {
        final URI url = URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + "/hooks");
        final String stale = "{\"event\":\"disconnect\",\"deliveryId\":\"d-stale\",\"timestamp\":1,\"data\":{}}";
        final String fresh = "{\"event\":\"disconnect\",\"deliveryId\":\"d-fresh\",\"timestamp\":2,\"data\":{}}";
        try (FileChatStore store = FileChatStore.open(dataDir, EnvelopeJson.create(), FileChatStore.Sync.ALWAYS, 16)) {
            final WebhookOutbox outbox = store.webhookOutbox();
            outbox.added(url.toString(), 7, "d-stale", "disconnect", () -> stale);
            // Its first attempt failed an hour ago: the one-minute window ran out while the gateway was down.
            outbox.attempted(url.toString(), 7, System.currentTimeMillis() - Duration.ofHours(1).toMillis());
            outbox.added("http://127.0.0.1:1/gone", 8, "d-gone", "disconnect", () -> "{}");
            outbox.added(url.toString(), 9, "d-fresh", "disconnect", () -> fresh);
        }
        try (TestGateway gateway = TestGateway.start(b -> b.dataDir(dataDir.toString()).webhookUrls(List.of(url))
                                                             .webhookSecret(SECRET)
                                                             .webhookRetryWindow(Duration.ofMinutes(1)))) {
            final Received once = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(once, "the stale event was not tried");
            assertEquals("d-stale", once.delivery());
            assertArrayEquals(stale.getBytes(StandardCharsets.UTF_8), once.body());
            assertEquals(hmac(once.body()), once.signature());
            // Given up after that one failure: the sender moves on, and the stale event is never tried again.
            for (int i = 0; i < 3; i++) {
                final Received r = received.poll(10, TimeUnit.SECONDS);
                assertNotNull(r, "no retry");
                assertEquals("d-fresh", r.delivery());
            }
            up = true;
            final Received delivered = nextAccepted();
            assertEquals("d-fresh", delivered.delivery());
            assertArrayEquals(fresh.getBytes(StandardCharsets.UTF_8), delivered.body());
            final HttpTestClient api = gateway.http();
            assertEquals(2.0, api.metric("switchboard_webhooks_restored_total"));
            assertEquals(1.0, api.metric("switchboard_webhooks_dropped_total{reason=\"retry_window\"}"));
            assertEquals(1.0, api.metric("switchboard_webhooks_dropped_total{reason=\"url_removed\"}"));
        }
        try (FileChatStore store = FileChatStore.open(dataDir, EnvelopeJson.create(), FileChatStore.Sync.ALWAYS, 16)) {
            assertEquals(List.of(), store.webhookOutbox().load(), "delivered and dropped entries are removed");
        }
    }

    private void assertMarker(String userId) throws InterruptedException {
        final Received r = nextAccepted();
        assertEquals("connect " + userId, r.event() + ' ' + r.json().at("/data/userId").asText());
        final Received d = nextAccepted();
        assertEquals("disconnect " + userId, d.event() + ' ' + d.json().at("/data/userId").asText());
    }

    /**
     * Messages {@code userId} until one is held for it: its session has ended, so its {@code disconnect} webhook was
     * queued (before the session left the registry), and the receipt, sent once the held message is committed, also
     * covers that event's outbox entry, written to the store before it.
     */
    private static void awaitHeld(WsTestClient from, String userId) {
        for (int i = 0; i < 1000; i++) {
            final Envelope receipt = say(from, "h" + i, userId, "are you there?");
            assertEquals("0", receipt.code(), () -> "receipt " + receipt);
            if ("stored offline".equals(receipt.msg())) {
                return;
            }
        }
        throw new AssertionError(userId + " never went offline");
    }
}
