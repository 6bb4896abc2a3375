package io.switchboard.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

class CounterGatewayMetricsTest {

    @Test
    void everyEventLandsInItsOwnCounter() {
        final CounterGatewayMetrics m = new CounterGatewayMetrics();
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
    void theNoopDefaultsAcceptEverything() {
        final GatewayMetrics noop = GatewayMetrics.NOOP;
        noop.connectionOpened(Role.USER);
        noop.failure(Failure.BAD_MESSAGE);
        noop.offlineDropped(1);
        noop.unexpectedError();
    }

    @Test
    void countsAreExactUnderContention() throws Exception {
        final CounterGatewayMetrics m = new CounterGatewayMetrics();
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
