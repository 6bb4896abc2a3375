package io.switchboard.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Failure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

    @Test
    void everyEventLandsInItsOwnCounter() {
        final GatewayMetrics m = new GatewayMetrics(new SimpleMeterRegistry());
        m.connectionOpened(Role.USER);
        m.connectionOpened(Role.AGENT);
        m.connectionClosed(Role.USER);
        m.connectionRefused();
        m.sessionReplaced();
        m.handshakeRejected(400);
        m.messageRouted();
        m.messageRouted();
        m.messageHeld();
        m.matched();
        m.pairingEnded();
        m.slowConsumer(false);
        m.slowConsumer(true);
        m.offlineExpired(3);
        m.offlineDropped(4);
        m.offlineDelivered(5);
        m.policyClose();
        m.unexpectedError();
        m.failure(Failure.NOT_PAIRED);
        m.failure(Failure.NOT_PAIRED);

        final Map<String, Long> s = m.snapshot();
        assertEquals(2, s.get("connections.opened"));
        assertEquals(1, s.get("connections.closed"));
        assertEquals(1, s.get("connections.refused"));
        assertEquals(1, s.get("connections.replaced"));
        assertEquals(1, s.get("handshakes.rejected"));
        assertEquals(2, s.get("messages.routed"));
        assertEquals(1, s.get("messages.held"));
        assertEquals(1, s.get("pairings.matched"));
        assertEquals(1, s.get("pairings.ended"));
        assertEquals(1, s.get("slow_consumers.held"));
        assertEquals(1, s.get("slow_consumers.closed"));
        assertEquals(3, s.get("offline.expired"));
        assertEquals(4, s.get("offline.dropped"));
        assertEquals(5, s.get("offline.delivered"));
        assertEquals(1, s.get("connections.policy_closed"));
        assertEquals(1, s.get("errors.unexpected"));
        assertEquals(2, s.get("failures.NOT_PAIRED"));
        assertEquals(2, m.failures(Failure.NOT_PAIRED));
        assertEquals(2, m.messagesRouted());
        for (Failure f : Failure.values()) {
            assertTrue(s.containsKey("failures." + f.reason()), f.reason());
        }
    }

    @Test
    void theReadBacksAreTheMicrometerMetersUnderTheirPrometheusNames() {
        final MeterRegistry registry = new SimpleMeterRegistry();
        final GatewayMetrics m = new GatewayMetrics(registry, role -> role == Role.USER ? 3 : 1);
        m.connectionOpened(Role.AGENT);
        m.failure(Failure.EMPTY_MSG);
        m.handshakeRejected(400);
        m.handshakeRejected(503);
        m.slowConsumer(true);
        m.pushed(1, 2, 3, 0);
        m.webhookSent(1_000_000);
        m.webhookFailed();
        m.webhookDropped("queue_full");
        m.webhookDropped("something_new");
        m.routingLatency(2_000_000);

        assertEquals(3.0, registry.get("switchboard.connections.active").tag("role", "user").gauge().value());
        assertEquals(1.0, registry.get("switchboard.connections.active").tag("role", "agent").gauge().value());
        assertEquals(1.0, registry.get("switchboard.connections.opened").tag("role", "agent").counter().count());
        assertEquals(0.0, registry.get("switchboard.connections.opened").tag("role", "user").counter().count());
        assertEquals(1.0, registry.get("switchboard.failures").tag("reason", "EMPTY_MSG").counter().count());
        assertEquals(1.0, registry.get("switchboard.handshakes.rejected").tag("status", "503").counter().count());
        assertEquals(1.0, registry.get("switchboard.slow.consumers").tag("action", "closed").counter().count());
        assertEquals(2.0, registry.get("switchboard.push.recipients").tag("outcome", "held").counter().count());
        assertEquals(1.0, registry.get("switchboard.webhooks.dropped").tag("reason", "something_new").counter()
                                  .count());
        assertEquals(1, registry.get("switchboard.webhooks.latency").timer().count());
        assertEquals(1, registry.get("switchboard.routing.latency").timer().count());
        assertEquals(0.0, registry.get("switchboard.connections.policy.closed").counter().count());

        final Map<String, Long> s = m.snapshot();
        assertEquals(2, s.get("handshakes.rejected"));
        assertEquals(2, m.handshakesRejected());
        assertEquals(1, s.get("push.delivered"));
        assertEquals(2, s.get("push.held"));
        assertEquals(3, s.get("push.unknown"));
        assertEquals(0, s.get("push.dropped"));
        assertEquals(1, s.get("webhooks.sent"));
        assertEquals(1, s.get("webhooks.failed"));
        assertEquals(2, s.get("webhooks.dropped"));
        assertEquals(1, m.webhooksSent());
        assertEquals(1, m.webhooksFailed());
        assertEquals(2, m.webhooksDropped());
        assertEquals(1, m.routingLatency().interval().total().count());
        assertEquals(List.of("connections.opened", "connections.closed", "connections.refused",
                             "connections.replaced", "handshakes.rejected", "messages.routed", "messages.held",
                             "pairings.matched", "pairings.ended", "slow_consumers.held", "slow_consumers.closed",
                             "offline.expired", "offline.dropped", "offline.delivered", "connections.policy_closed",
                             "errors.unexpected", "push.delivered", "push.held", "push.unknown", "push.dropped",
                             "webhooks.sent", "webhooks.failed", "webhooks.dropped", "connections.throttled",
                             "redis.wait.short", "redis.resubscribed"),
                     List.copyOf(s.keySet()).subList(0, 26), "the keys and their order are part of the stats JSON");
        assertEquals(26 + Failure.values().length, s.size());
    }

    @Test
    void countsAreExactUnderContention() throws Exception {
        final GatewayMetrics m = new GatewayMetrics(new SimpleMeterRegistry());
        final int threads = 8;
        final int perThread = 50_000;
        final CyclicBarrier start = new CyclicBarrier(threads);
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            final List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    for (int i = 0; i < perThread; i++) {
                        m.messageRouted();
                        m.failure(Failure.RATE_LIMITED);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals((long) threads * perThread, m.messagesRouted());
        assertEquals((long) threads * perThread, m.failures(Failure.RATE_LIMITED));
    }
}
