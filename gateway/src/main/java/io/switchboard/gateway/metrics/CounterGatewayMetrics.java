package io.switchboard.gateway.metrics;

import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Failure;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link GatewayMetrics} as in-process {@link LongAdder} counters, each resolved once at construction so the hot path
 * never looks a counter up by name. Thread-safe.
 */
public final class CounterGatewayMetrics implements GatewayMetrics {

    private final LongAdder opened = new LongAdder();
    private final LongAdder closed = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder replaced = new LongAdder();
    private final LongAdder routed = new LongAdder();
    private final LongAdder held = new LongAdder();
    private final LongAdder matched = new LongAdder();
    private final LongAdder pairingsEnded = new LongAdder();
    private final LongAdder slowConsumers = new LongAdder();
    private final LongAdder slowConsumerCloses = new LongAdder();
    private final LongAdder offlineExpired = new LongAdder();
    private final LongAdder offlineDropped = new LongAdder();
    private final LongAdder offlineDelivered = new LongAdder();
    private final LongAdder policyCloses = new LongAdder();
    private final LongAdder unexpectedErrors = new LongAdder();
    private final LongAdder handshakesRejected = new LongAdder();
    private final LongAdder pushDelivered = new LongAdder();
    private final LongAdder pushHeld = new LongAdder();
    private final LongAdder pushUnknown = new LongAdder();
    private final LongAdder webhooksSent = new LongAdder();
    private final LongAdder webhooksFailed = new LongAdder();
    private final LongAdder webhooksDropped = new LongAdder();
    private final Map<Failure, LongAdder> failures = new EnumMap<>(Failure.class);
    private final RoutingLatency routingLatency = new RoutingLatency();

    public CounterGatewayMetrics() {
        for (Failure f : Failure.values()) {
            failures.put(f, new LongAdder());
        }
    }

    @Override
    public void connectionOpened(Role role) {
        opened.increment();
    }

    @Override
    public void connectionClosed(Role role) {
        closed.increment();
    }

    @Override
    public void handshakeRejected(int status) {
        handshakesRejected.increment();
    }

    @Override
    public void connectionRefused() {
        refused.increment();
    }

    @Override
    public void sessionReplaced() {
        replaced.increment();
    }

    @Override
    public void messageRouted() {
        routed.increment();
    }

    @Override
    public void routingLatency(long nanos) {
        routingLatency.record(nanos);
    }

    @Override
    public void messageHeld() {
        held.increment();
    }

    @Override
    public void failure(Failure failure) {
        failures.get(failure).increment();
    }

    @Override
    public void matched() {
        matched.increment();
    }

    @Override
    public void pairingEnded() {
        pairingsEnded.increment();
    }

    @Override
    public void slowConsumer(boolean closedIt) {
        (closedIt ? slowConsumerCloses : slowConsumers).increment();
    }

    @Override
    public void offlineExpired(int count) {
        offlineExpired.add(count);
    }

    @Override
    public void offlineDropped(int count) {
        offlineDropped.add(count);
    }

    @Override
    public void offlineDelivered(int count) {
        offlineDelivered.add(count);
    }

    @Override
    public void policyClose() {
        policyCloses.increment();
    }

    @Override
    public void unexpectedError() {
        unexpectedErrors.increment();
    }

    @Override
    public void pushed(int delivered, int heldCount, int unknown) {
        pushDelivered.add(delivered);
        pushHeld.add(heldCount);
        pushUnknown.add(unknown);
    }

    @Override
    public void webhookSent(long nanos) {
        webhooksSent.increment();
    }

    @Override
    public void webhookFailed() {
        webhooksFailed.increment();
    }

    @Override
    public void webhookDropped(String reason) {
        webhooksDropped.increment();
    }

    /** Handshakes refused before the upgrade so far, any status. */
    public long handshakesRejected() {
        return handshakesRejected.sum();
    }

    /** Webhooks accepted by their backend so far. */
    public long webhooksSent() {
        return webhooksSent.sum();
    }

    /** Webhook attempts that failed (and were retried) so far. */
    public long webhooksFailed() {
        return webhooksFailed.sum();
    }

    /** Webhook events given up (queue full or retry window over) so far. */
    public long webhooksDropped() {
        return webhooksDropped.sum();
    }

    /** Messages routed live so far. */
    public long messagesRouted() {
        return routed.sum();
    }

    /** Messages held for an offline or slow peer so far. */
    public long messagesHeld() {
        return held.sum();
    }

    /** The latency of live deliveries, read by the dashboard. */
    public RoutingLatency routingLatency() {
        return routingLatency;
    }

    /** Failures of one kind so far. */
    public long failures(Failure failure) {
        return failures.get(failure).sum();
    }

    /** Every counter by a stable dotted name, for the stats endpoint and tests. */
    public Map<String, Long> snapshot() {
        final Map<String, Long> m = new LinkedHashMap<>();
        m.put("connections.opened", opened.sum());
        m.put("connections.closed", closed.sum());
        m.put("connections.refused", refused.sum());
        m.put("connections.replaced", replaced.sum());
        m.put("handshakes.rejected", handshakesRejected.sum());
        m.put("messages.routed", routed.sum());
        m.put("messages.held", held.sum());
        m.put("pairings.matched", matched.sum());
        m.put("pairings.ended", pairingsEnded.sum());
        m.put("slow_consumers.held", slowConsumers.sum());
        m.put("slow_consumers.closed", slowConsumerCloses.sum());
        m.put("offline.expired", offlineExpired.sum());
        m.put("offline.dropped", offlineDropped.sum());
        m.put("offline.delivered", offlineDelivered.sum());
        m.put("connections.policy_closed", policyCloses.sum());
        m.put("errors.unexpected", unexpectedErrors.sum());
        m.put("push.delivered", pushDelivered.sum());
        m.put("push.held", pushHeld.sum());
        m.put("push.unknown", pushUnknown.sum());
        m.put("webhooks.sent", webhooksSent.sum());
        m.put("webhooks.failed", webhooksFailed.sum());
        m.put("webhooks.dropped", webhooksDropped.sum());
        for (Map.Entry<Failure, LongAdder> e : failures.entrySet()) {
            m.put("failures." + e.getKey().reason(), e.getValue().sum());
        }
        return m;
    }
}
