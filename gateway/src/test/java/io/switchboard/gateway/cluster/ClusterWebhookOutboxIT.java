package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.gateway.webhook.WebhookDispatcher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The webhook outbox of a cluster node, in Redis ({@code docs/WEBHOOKS.md}, {@code docs/CLUSTER.md}): events a node
 * queued while the backend was down are delivered, with the same delivery ids and bodies, by the node that reaps it
 * after a crash, or by the node itself when it starts again with the same node id after a graceful stop; what was
 * delivered is not sent again. A real HTTP backend (the JDK's HttpServer) and real Redis.
 */
class ClusterWebhookOutboxIT {

    private static final String SECRET = "cluster-webhook-outbox-it-secret";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpServer backend;
    private static final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    /** Whether the backend accepts (200) or is "down" (503). */
    private static volatile boolean up;

    /**
     * A long grace: a gracefully stopped node is not reaped during the test, so only its own restart can deliver its
     * outbox. A crashed node does not set a grace: it is reaped node-ttl + heartbeat after its last beat.
     */
    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2).with(b -> b
            .reconnectGrace(Duration.ofMinutes(5))
            .webhookUrls(List.of(URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + "/hooks")))
            .webhookSecret(SECRET)
            .webhookRetryWindow(Duration.ofMinutes(5)));

    /** One request the backend received, and what it answered. */
    record Received(String event, String delivery, byte[] body, int answeredWith) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String describe() {
            return event + ' ' + json().at("/data/userId").asText();
        }
    }

    @BeforeAll
    static void startBackend() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/hooks", ClusterWebhookOutboxIT::handle);
        backend.start();
    }

    @AfterAll
    static void stopBackend() {
        backend.stop(0);
    }

    @BeforeEach
    void backendDown() {
        up = false;
        received.clear();
    }

    private static void handle(HttpExchange exchange) throws IOException {
        final byte[] body = exchange.getRequestBody().readAllBytes();
        final int status = up ? 200 : 503;
        received.add(new Received(exchange.getRequestHeaders().getFirst(WebhookDispatcher.EVENT_HEADER),
                                  exchange.getRequestHeaders().getFirst(WebhookDispatcher.DELIVERY_HEADER), body,
                                  status));
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    @Test
    void eventsOfACrashedNodeAreDeliveredByTheNodeThatReapsIt() throws Exception {
        final Queued queued = queueWhileDown(0);
        cluster.crash(0);
        up = true;
        final List<Received> delivered = awaitDelivered(queued);
        assertEquals(4.0, cluster.node(1).http().metric("switchboard_webhooks_restored_total"));
        // Taken over: the dead node's hash is gone, and the reaper removed each entry once delivered.
        cluster.awaitTrue(() -> cluster.redis().hlen(cluster.key("outbox:node-2")) == 0, "node-2's outbox empty");
        assertEquals(0, cluster.redis().exists(cluster.key("outbox:node-1")));
        assertNotResent(delivered, 1);
    }

    @Test
    void aNodeRestartedWithTheSameIdDeliversItsOwnOutbox() throws Exception {
        final Queued queued = queueWhileDown(0);
        cluster.node(0).close(); // graceful: what is still queued stays in Redis for the next start
        assertEquals(4, cluster.redis().hlen(cluster.key("outbox:node-1")));
        up = true;
        cluster.restart(0);
        final List<Received> delivered = awaitDelivered(queued);
        assertEquals(4.0, cluster.node(0).http().metric("switchboard_webhooks_restored_total"));
        cluster.awaitTrue(() -> cluster.redis().hlen(cluster.key("outbox:node-1")) == 0, "node-1's outbox empty");
        // The other node did not take it over: it alone sent them.
        assertEquals(0.0, cluster.node(1).http().metric("switchboard_webhooks_restored_total"));
        cluster.restart(0);
        assertEquals(0.0, cluster.node(0).http().metric("switchboard_webhooks_restored_total"));
        assertNotResent(delivered, 0);
    }

    /** What node {@code index} queued: its outbox entries (field → value) and the first attempt the backend saw. */
    private record Queued(Map<String, String> entries, Received head) {}

    /**
     * With the backend down, two users connect to node {@code index} and leave, one after the other: four events
     * (connect, disconnect, connect, disconnect) wait in its outbox, the first one failing and retried.
     */
    private static Queued queueWhileDown(int index) throws Exception {
        final String outbox = cluster.key("outbox:node-" + (index + 1));
        for (String user : List.of("wa", "wb")) {
            final WsTestClient client = cluster.user(index, user);
            client.close();
            final long expected = "wa".equals(user) ? 2 : 4;
            cluster.awaitTrue(() -> cluster.redis().hlen(outbox) == expected, expected + " entries in " + outbox);
        }
        final Received head = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(head, "no webhook attempt");
        assertEquals(503, head.answeredWith());
        assertEquals("connect wa", head.describe());
        // The failed first attempt is recorded in the entry: the retry window keeps counting from it.
        cluster.awaitTrue(() -> cluster.redis().hgetall(outbox).values().stream()
                                       .anyMatch(v -> !v.split("\\|", 4)[2].equals("0")),
                          "the first attempt recorded");
        return new Queued(new TreeMap<>(cluster.redis().hgetall(outbox)), head);
    }

    /** The four queued events, delivered (200) once each and in order, with their ids and bodies. */
    private static List<Received> awaitDelivered(Queued queued) throws InterruptedException {
        final List<Received> delivered = new ArrayList<>();
        final Set<String> ids = new HashSet<>();
        while (delivered.size() < 4) {
            final Received r = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "delivered so far: " + delivered.stream().map(Received::describe).toList());
            if (r.answeredWith() != 200) {
                assertEquals(queued.head().delivery(), r.delivery(), "only the oldest event is tried while down");
            } else {
                assertTrue(ids.add(r.delivery()), () -> "delivered twice: " + r.describe());
                delivered.add(r);
            }
        }
        assertEquals(List.of("connect wa", "disconnect wa", "connect wb", "disconnect wb"),
                     delivered.stream().map(Received::describe).toList());
        assertEquals(queued.head().delivery(), delivered.get(0).delivery(), "the same delivery id");
        assertArrayEquals(queued.head().body(), delivered.get(0).body(), "the same body");
        final Set<String> queuedIds = new HashSet<>();
        for (String value : queued.entries().values()) {
            queuedIds.add(value.split("\\|", 4)[0]);
        }
        assertEquals(queuedIds, ids, "the delivery ids the crashed or stopped node had queued");
        for (Received r : delivered) {
            assertEquals(r.delivery(), r.json().get("deliveryId").asText());
        }
        return delivered;
    }

    /** A new event on node {@code index} is the next one the backend gets: nothing delivered comes again. */
    private static void assertNotResent(List<Received> delivered, int index) throws InterruptedException {
        cluster.user(index, "marker").close();
        for (String expected : List.of("connect marker", "disconnect marker")) {
            final Received r = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "no " + expected);
            assertEquals(200, r.answeredWith());
            assertEquals(expected, r.describe(), () -> "after " + delivered.size() + " delivered");
        }
        assertTrue(received.isEmpty(), () -> "sent again: " + received.peek().describe());
    }
}
