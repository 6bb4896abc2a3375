package io.switchboard.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Failure;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Every event the gateway counts, recorded into Micrometer meters of the {@link MeterRegistry} it is given: the
 * Prometheus registry of {@link PrometheusMetrics} in the gateway, a {@code SimpleMeterRegistry} in tests. Every
 * meter the hot path touches is resolved once here (per role, per failure reason, per known status and drop reason),
 * never looked up by name per message. The read-backs ({@link #snapshot()}, {@link #messagesRouted()}, ...) read
 * the same meters, for {@code /api/v1/stats}, {@code /dashboard/stats} and tests.
 *
 * <p>Meter names are dotted lower case ({@code switchboard.messages.routed}); Prometheus sees them as
 * {@code switchboard_messages_routed_total} (docs/API.md). Thread-safe; non-blocking; safe to call from an event
 * loop, several times per message.
 */
public final class GatewayMetrics {

    private static final String HANDSHAKES_REJECTED = "switchboard.handshakes.rejected";
    private static final String WEBHOOKS_DROPPED = "switchboard.webhooks.dropped";

    private final MeterRegistry registry;
    private final Map<Role, Counter> opened = new EnumMap<>(Role.class);
    private final Map<Role, Counter> closed = new EnumMap<>(Role.class);
    private final Map<Failure, Counter> failures = new EnumMap<>(Failure.class);
    /** The statuses the handshake guard answers; another one is registered on first use (a rare path). */
    private final Map<Integer, Counter> rejected = new LinkedHashMap<>();
    /** The reasons the webhook endpoint gives; another one is registered on first use (a rare path). */
    private final Map<String, Counter> webhooksDropped = new LinkedHashMap<>();
    private final Counter refused;
    private final Counter replaced;
    private final Counter routed;
    private final Counter held;
    private final Counter matched;
    private final Counter pairingsEnded;
    private final Counter slowHeld;
    private final Counter slowClosed;
    private final Counter offlineExpired;
    private final Counter offlineDropped;
    private final Counter redisWaitShort;
    private final Counter redisResubscribed;
    private final Counter offlineDelivered;
    private final Counter policyCloses;
    private final Counter errors;
    private final Counter tlsHandshakesFailed;
    private final Counter pushDelivered;
    private final Counter pushHeld;
    private final Counter pushUnknown;
    private final Counter pushDropped;
    private final Counter redelivered;
    private final Counter resent;
    private final Counter webhooksSent;
    private final Counter webhooksFailed;
    private final Counter webhooksRestored;
    private final Timer routingTimer;
    private final Timer webhookTimer;
    private final Timer queueWait;
    private final Map<String, Counter> dequeued = new LinkedHashMap<>();
    private final Counter transfers;
    private final Counter throttles;
    /*
     * The dashboard's p50/p99/p99.9 stay on an HdrHistogram recorder beside the Timer. Micrometer's percentile
     * histogram has coarse fixed buckets (tens of percent wide, where HdrHistogram keeps 1%), its max decays over a
     * rolling window, and it has no "since the previous poll" interval, which the dashboard shows. The recorder is
     * wait-free and allocation-free, so the extra record per delivery costs what the fan-out to it cost before.
     */
    private final RoutingLatency routingLatency = new RoutingLatency();

    /** Meters on {@code registry}, without the live-connections gauge (nothing samples it in tests). */
    public GatewayMetrics(MeterRegistry registry) {
        this(registry, null);
    }

    /**
     * @param registry where the meters live
     * @param activeByRole the live sessions of a role, sampled at scrape time (the session registry's count), or
     *                     {@code null} for no {@code switchboard.connections.active} gauge
     */
    public GatewayMetrics(MeterRegistry registry, ToDoubleFunction<Role> activeByRole) {
        this.registry = registry;
        for (Role role : Role.values()) {
            final String r = role.wireName();
            if (activeByRole != null) {
                Gauge.builder("switchboard.connections.active", () -> activeByRole.applyAsDouble(role))
                     .description("Live WebSocket sessions").tag("role", r).register(registry);
            }
            opened.put(role, counter("switchboard.connections.opened", "role", r));
            closed.put(role, counter("switchboard.connections.closed", "role", r));
        }
        for (Failure f : Failure.values()) {
            failures.put(f, counter("switchboard.failures", "reason", f.reason()));
        }
        for (int status : new int[] {400, 401, 403, 404, 405, 426}) {
            rejected.put(status, rejectedCounter(status));
        }
        for (String reason : new String[] {"queue_full", "retry_window", "unserializable", "url_removed"}) {
            webhooksDropped.put(reason, droppedCounter(reason));
        }
        refused = counter("switchboard.connections.refused");
        replaced = counter("switchboard.connections.replaced");
        routed = counter("switchboard.messages.routed");
        held = counter("switchboard.messages.held");
        matched = counter("switchboard.pairings.matched");
        pairingsEnded = counter("switchboard.pairings.ended");
        slowHeld = counter("switchboard.slow.consumers", "action", "held");
        slowClosed = counter("switchboard.slow.consumers", "action", "closed");
        offlineExpired = counter("switchboard.offline.expired");
        offlineDropped = counter("switchboard.offline.dropped");
        redisWaitShort = counter("switchboard.redis.wait.short");
        redisResubscribed = counter("switchboard.redis.resubscribed");
        offlineDelivered = counter("switchboard.offline.delivered");
        policyCloses = counter("switchboard.connections.policy.closed");
        errors = counter("switchboard.errors.unexpected");
        tlsHandshakesFailed = counter("switchboard.tls.handshakes.failed");
        pushDelivered = counter("switchboard.push.recipients", "outcome", "delivered");
        pushHeld = counter("switchboard.push.recipients", "outcome", "held");
        pushUnknown = counter("switchboard.push.recipients", "outcome", "unknown");
        pushDropped = counter("switchboard.push.recipients", "outcome", "dropped");
        redelivered = counter("switchboard.ack.redelivered");
        resent = counter("switchboard.ack.resends");
        webhooksSent = counter("switchboard.webhooks.sent");
        webhooksFailed = counter("switchboard.webhooks.failed");
        webhooksRestored = counter("switchboard.webhooks.restored");
        routingTimer = Timer.builder("switchboard.routing.latency")
                            .description("From the router taking a message to the recipient's socket write")
                            .publishPercentileHistogram()
                            .minimumExpectedValue(Duration.ofNanos(50_000))
                            .maximumExpectedValue(Duration.ofSeconds(10))
                            .register(registry);
        queueWait = Timer.builder("switchboard.queue.wait")
                         .description("How long users waited in the queue, by how the wait ended")
                         .publishPercentiles(0.5, 0.99)
                         .publishPercentileHistogram()
                         .minimumExpectedValue(Duration.ofMillis(1))
                         .maximumExpectedValue(Duration.ofHours(1))
                         .register(registry);
        for (String outcome : new String[] {"matched", "timeout", "left"}) {
            dequeued.put(outcome, counter("switchboard.queue.dequeued", "outcome", outcome));
        }
        transfers = counter("switchboard.pairings.transferred");
        throttles = counter("switchboard.connections.throttled");
        webhookTimer = Timer.builder("switchboard.webhooks.latency")
                            .description("One webhook POST, request to response")
                            .publishPercentileHistogram()
                            .maximumExpectedValue(Duration.ofSeconds(30))
                            .register(registry);
    }

    private Counter counter(String name, String... tags) {
        return Counter.builder(name).tags(tags).register(registry);
    }

    private Counter rejectedCounter(int status) {
        return counter(HANDSHAKES_REJECTED, "status", Integer.toString(status));
    }

    private Counter droppedCounter(String reason) {
        return counter(WEBHOOKS_DROPPED, "reason", reason);
    }

    /** A WebSocket session was registered. */
    public void connectionOpened(Role role) {
        opened.get(role).increment();
    }

    /** A registered WebSocket session closed. */
    public void connectionClosed(Role role) {
        closed.get(role).increment();
    }

    /** A connection was refused before the upgrade with this HTTP status. */
    public void handshakeRejected(int status) {
        final Counter c = rejected.get(status);
        (c != null ? c : rejectedCounter(status)).increment();
    }

    /** A connection was refused at accept because the gateway was at its connection limit. */
    public void connectionRefused() {
        refused.increment();
    }

    /** A newer connection replaced an older one of the same userId (4001). */
    public void sessionReplaced() {
        replaced.increment();
    }

    /** A {@code normal} reached its peer's connection ({@code push success}). */
    public void messageRouted() {
        routed.increment();
    }

    /** A {@code normal} was held for an offline or slow peer ({@code stored offline}). */
    public void messageHeld() {
        held.increment();
    }

    /** A message was answered with a failure of this kind. */
    public void failure(Failure failure) {
        failures.get(failure).increment();
    }

    /** A pairing was made. */
    public void matched() {
        matched.increment();
    }

    /** A pairing ended ({@code leave}, or the grace period of a disconnected peer ran out). */
    public void pairingEnded() {
        pairingsEnded.increment();
    }

    /** A peer stayed unwritable; {@code closedIt} tells whether it was then closed with 1013. */
    public void slowConsumer(boolean closedIt) {
        (closedIt ? slowClosed : slowHeld).increment();
    }

    /** Held messages that expired before their recipient came back. */
    public void offlineExpired(int count) {
        offlineExpired.increment(count);
    }

    /** Held messages dropped because a bound was reached. */
    public void offlineDropped(int count) {
        offlineDropped.increment(count);
    }

    /**
     * A write that backs a promise reached fewer replicas than {@code redis-wait-replicas} within
     * {@code redis-wait-timeout} (or its {@code WAIT} failed): it was promised on its master's word alone.
     */
    public void redisWaitShort() {
        redisWaitShort.increment();
    }

    /** This node subscribed its (shard) channel again after finding it unsubscribed (a failover, a slot move). */
    public void redisResubscribed() {
        redisResubscribed.increment();
    }

    /** Unacknowledged deliveries sent again to a reconnecting acknowledging connection ({@code PROTOCOL.md} §5). */
    public void redelivered(int count) {
        redelivered.increment(count);
    }

    /** A resend of an acknowledging sender's msgId, answered with the first receipt and not delivered again. */
    public void resent() {
        resent.increment();
    }

    /**
     * Gauges of what acknowledged delivery keeps, sampled at scrape time: the unacknowledged deliveries held, and the
     * changes the data store refused because its queue was full (on a cluster node: the webhook outbox writes to
     * Redis refused or failed).
     */
    public void ackGauges(DoubleSupplier unacknowledged, DoubleSupplier storeRefused) {
        Gauge.builder("switchboard.ack.unacknowledged", unacknowledged, DoubleSupplier::getAsDouble)
             .description("Deliveries to acknowledging connections not acknowledged yet (this gateway)")
             .strongReference(true).register(registry);
        Gauge.builder("switchboard.store.refused", storeRefused, DoubleSupplier::getAsDouble)
             .description("Changes the data store refused (queue full; cluster: outbox writes failed), since start")
             .strongReference(true).register(registry);
    }

    /**
     * Gauges of the waiting queue and the agents, sampled at scrape time: users waiting, and online agents by
     * status ({@code available}, {@code away}).
     */
    public void queueGauges(DoubleSupplier waiting, ToDoubleFunction<String> agentsByStatus) {
        Gauge.builder("switchboard.queue.length", waiting, DoubleSupplier::getAsDouble)
             .description("Users waiting in the queue for an agent").strongReference(true).register(registry);
        for (String status : new String[] {"available", "away"}) {
            Gauge.builder("switchboard.agents", () -> agentsByStatus.applyAsDouble(status))
                 .description("Online agents by status").tag("status", status).strongReference(true)
                 .register(registry);
        }
    }

    /**
     * A user left the queue after {@code waitedMillis}: {@code matched}, {@code timeout} or {@code left} (its
     * {@code leave}, or gone for good).
     */
    public void dequeued(String outcome, long waitedMillis) {
        final Counter counter = dequeued.get(outcome);
        if (counter != null) {
            counter.increment();
        }
        queueWait.record(Math.max(0, waitedMillis), TimeUnit.MILLISECONDS);
    }

    /** A connection over its rate limit stopped being read from until its bucket refills. */
    public void throttled() {
        throttles.increment();
    }

    /** A conversation moved to another agent. */
    public void transferred() {
        transfers.increment();
    }

    /** The queue wait percentiles in milliseconds ({@code p50}, {@code p99}, {@code max}) for the dashboard. */
    public Map<String, Double> queueWaitMillis() {
        final Map<String, Double> out = new LinkedHashMap<>();
        final var snapshot = queueWait.takeSnapshot();
        for (var p : snapshot.percentileValues()) {
            out.put(p.percentile() == 0.5 ? "p50" : "p99", p.value(TimeUnit.MILLISECONDS));
        }
        out.put("max", snapshot.max(TimeUnit.MILLISECONDS));
        out.put("count", (double) snapshot.count());
        return out;
    }

    /** Held messages delivered on reconnect or when a slow peer caught up. */
    public void offlineDelivered(int count) {
        offlineDelivered.increment(count);
    }

    /** A connection was closed because it kept sending malformed messages (1008). */
    public void policyClose() {
        policyCloses.increment();
    }

    /** An unexpected exception on a connection. */
    public void unexpectedError() {
        errors.increment();
    }

    /** A TLS handshake failed (a plaintext client on a TLS port, no common protocol or cipher, a bad record). */
    public void tlsHandshakeFailed() {
        tlsHandshakesFailed.increment();
    }

    /** A message reached the recipient's socket {@code nanos} after the router took it (the end-to-end hop). */
    public void routingLatency(long nanos) {
        routingTimer.record(nanos, TimeUnit.NANOSECONDS);
        routingLatency.record(nanos);
    }

    /** A server-side push ({@code POST /api/v1/push}) reached these recipients live, held or not at all. */
    public void pushed(int delivered, int heldCount, int unknown, int dropped) {
        pushDelivered.increment(delivered);
        pushHeld.increment(heldCount);
        pushUnknown.increment(unknown);
        pushDropped.increment(dropped);
    }

    /** A webhook was accepted by its backend (2xx) after {@code nanos} for that attempt. */
    public void webhookSent(long nanos) {
        webhooksSent.increment();
        webhookTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One webhook attempt failed (connection error, timeout or non-2xx); it is retried within the window. */
    public void webhookFailed() {
        webhooksFailed.increment();
    }

    /**
     * Webhook events of a previous run were read back from the outbox and queued again at start
     * ({@code docs/WEBHOOKS.md}).
     */
    public void webhooksRestored(int count) {
        webhooksRestored.increment(count);
    }

    /**
     * A webhook event was given up: {@code queue_full} at enqueue, {@code retry_window} after retries, or
     * {@code url_removed} at start (an outbox entry for a URL no longer configured).
     */
    public void webhookDropped(String reason) {
        final Counter c = webhooksDropped.get(reason);
        (c != null ? c : droppedCounter(reason)).increment();
    }

    /** Handshakes refused before the upgrade so far, any status. */
    public long handshakesRejected() {
        return sum(HANDSHAKES_REJECTED);
    }

    /** Webhooks accepted by their backend so far. */
    public long webhooksSent() {
        return count(webhooksSent);
    }

    /** Webhook attempts that failed (and were retried) so far. */
    public long webhooksFailed() {
        return count(webhooksFailed);
    }

    /** Webhook events queued again from the outbox at start. */
    public long webhooksRestored() {
        return count(webhooksRestored);
    }

    /** Webhook events given up (queue full or retry window over) so far, any reason. */
    public long webhooksDropped() {
        return sum(WEBHOOKS_DROPPED);
    }

    /** Messages routed live so far. */
    public long messagesRouted() {
        return count(routed);
    }

    /** Messages held for an offline or slow peer so far. */
    public long messagesHeld() {
        return count(held);
    }

    /** The latency of live deliveries, read by the dashboard. */
    public RoutingLatency routingLatency() {
        return routingLatency;
    }

    /** Failures of one kind so far. */
    public long failures(Failure failure) {
        return count(failures.get(failure));
    }

    /**
     * Every counter by a stable dotted name, for the stats endpoint and tests; tagged meters are summed over their
     * tags except the failures, which are listed by reason. The keys and their order are part of the JSON of
     * {@code /api/v1/stats} and {@code /dashboard/stats}.
     */
    public Map<String, Long> snapshot() {
        final Map<String, Long> m = new LinkedHashMap<>();
        m.put("connections.opened", count(opened.get(Role.USER)) + count(opened.get(Role.AGENT)));
        m.put("connections.closed", count(closed.get(Role.USER)) + count(closed.get(Role.AGENT)));
        m.put("connections.refused", count(refused));
        m.put("connections.replaced", count(replaced));
        m.put("handshakes.rejected", handshakesRejected());
        m.put("messages.routed", count(routed));
        m.put("messages.held", count(held));
        m.put("pairings.matched", count(matched));
        m.put("pairings.ended", count(pairingsEnded));
        m.put("slow_consumers.held", count(slowHeld));
        m.put("slow_consumers.closed", count(slowClosed));
        m.put("offline.expired", count(offlineExpired));
        m.put("offline.dropped", count(offlineDropped));
        m.put("offline.delivered", count(offlineDelivered));
        m.put("connections.policy_closed", count(policyCloses));
        m.put("errors.unexpected", count(errors));
        m.put("push.delivered", count(pushDelivered));
        m.put("push.held", count(pushHeld));
        m.put("push.unknown", count(pushUnknown));
        m.put("push.dropped", count(pushDropped));
        m.put("webhooks.sent", count(webhooksSent));
        m.put("webhooks.failed", count(webhooksFailed));
        m.put("webhooks.dropped", webhooksDropped());
        m.put("connections.throttled", count(throttles));
        m.put("redis.wait.short", count(redisWaitShort));
        m.put("redis.resubscribed", count(redisResubscribed));
        for (Map.Entry<Failure, Counter> e : failures.entrySet()) {
            m.put("failures." + e.getKey().reason(), count(e.getValue()));
        }
        return m;
    }

    /** Counters hold whole events; Micrometer keeps them as doubles, exact up to 2^53. */
    private static long count(Counter c) {
        return (long) c.count();
    }

    /** Every counter of one name, whatever its tags (including those registered on first use). */
    private long sum(String name) {
        long total = 0;
        for (Counter c : registry.find(name).counters()) {
            total += count(c);
        }
        return total;
    }
}
