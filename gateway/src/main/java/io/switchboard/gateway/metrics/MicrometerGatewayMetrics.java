package io.switchboard.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.EventExecutorGroup;
import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Failure;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * {@link GatewayMetrics} on a Micrometer {@link PrometheusMeterRegistry}, scraped at {@code /metrics}. Every meter
 * the hot path touches is resolved once here (per role, per failure reason), never looked up by name per message.
 * Also binds Micrometer's JVM binders and, through {@link #bindNetty}, its Netty event-loop and allocator binders.
 *
 * <p>Meter names are dotted lower case ({@code switchboard.messages.routed}); Prometheus sees them as
 * {@code switchboard_messages_routed_total}. Thread-safe; non-blocking; safe to call from an event loop.
 */
public final class MicrometerGatewayMetrics implements GatewayMetrics, AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<Role, Counter> opened = new EnumMap<>(Role.class);
    private final Map<Role, Counter> closed = new EnumMap<>(Role.class);
    private final Map<Failure, Counter> failures = new EnumMap<>(Failure.class);
    private final Map<Integer, Counter> rejected = new ConcurrentHashMap<>();
    private final Map<String, Counter> webhookDropped = new ConcurrentHashMap<>();
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
    private final Counter offlineDelivered;
    private final Counter policyCloses;
    private final Counter errors;
    private final Counter pushDelivered;
    private final Counter pushHeld;
    private final Counter pushUnknown;
    private final Counter webhookSent;
    private final Counter webhookFailed;
    private final Timer routingLatency;
    private final Timer webhookLatency;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /**
     * @param activeByRole the live sessions of a role, sampled at scrape time (the session registry's count)
     */
    public MicrometerGatewayMetrics(ToDoubleFunction<Role> activeByRole) {
        for (Role role : Role.values()) {
            final String r = role.wireName();
            Gauge.builder("switchboard.connections.active", () -> activeByRole.applyAsDouble(role))
                 .description("Live WebSocket sessions").tag("role", r).register(registry);
            opened.put(role, counter("switchboard.connections.opened", "role", r));
            closed.put(role, counter("switchboard.connections.closed", "role", r));
        }
        for (Failure f : Failure.values()) {
            failures.put(f, counter("switchboard.failures", "reason", f.reason()));
        }
        for (int status : new int[] {400, 401, 403, 404, 405, 426}) {
            rejected.put(status, rejectedCounter(status));
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
        offlineDelivered = counter("switchboard.offline.delivered");
        policyCloses = counter("switchboard.connections.policy.closed");
        errors = counter("switchboard.errors.unexpected");
        pushDelivered = counter("switchboard.push.recipients", "outcome", "delivered");
        pushHeld = counter("switchboard.push.recipients", "outcome", "held");
        pushUnknown = counter("switchboard.push.recipients", "outcome", "unknown");
        webhookSent = counter("switchboard.webhooks.sent");
        webhookFailed = counter("switchboard.webhooks.failed");
        routingLatency = Timer.builder("switchboard.routing.latency")
                              .description("From the router taking a message to the recipient's socket write")
                              .publishPercentileHistogram()
                              .minimumExpectedValue(Duration.ofNanos(50_000))
                              .maximumExpectedValue(Duration.ofSeconds(10))
                              .register(registry);
        webhookLatency = Timer.builder("switchboard.webhooks.latency")
                              .description("One webhook POST, request to response")
                              .publishPercentileHistogram()
                              .maximumExpectedValue(Duration.ofSeconds(30))
                              .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
    }

    private Counter counter(String name, String... tags) {
        return Counter.builder(name).tags(tags).register(registry);
    }

    private Counter rejectedCounter(int status) {
        return counter("switchboard.handshakes.rejected", "status", Integer.toString(status));
    }

    /** Adds the event-loop binders (tasks pending, per executor) for the gateway's groups. */
    public void bindNetty(EventExecutorGroup... groups) {
        new NettyEventExecutorMetrics(java.util.Arrays.stream(groups).flatMap(g -> {
            final java.util.List<io.netty.util.concurrent.EventExecutor> all = new java.util.ArrayList<>();
            g.forEach(all::add);
            return all.stream();
        }).toList()).bindTo(registry);
    }

    /** The registry, to add meters or to scrape. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. CPU only; safe on an event loop. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void connectionOpened(Role role) {
        opened.get(role).increment();
    }

    @Override
    public void connectionClosed(Role role) {
        closed.get(role).increment();
    }

    @Override
    public void handshakeRejected(int status) {
        rejected.computeIfAbsent(status, this::rejectedCounter).increment();
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
        (closedIt ? slowClosed : slowHeld).increment();
    }

    @Override
    public void offlineExpired(int count) {
        offlineExpired.increment(count);
    }

    @Override
    public void offlineDropped(int count) {
        offlineDropped.increment(count);
    }

    @Override
    public void offlineDelivered(int count) {
        offlineDelivered.increment(count);
    }

    @Override
    public void policyClose() {
        policyCloses.increment();
    }

    @Override
    public void unexpectedError() {
        errors.increment();
    }

    @Override
    public void routingLatency(long nanos) {
        routingLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void pushed(int delivered, int heldCount, int unknown) {
        pushDelivered.increment(delivered);
        pushHeld.increment(heldCount);
        pushUnknown.increment(unknown);
    }

    @Override
    public void webhookSent(long nanos) {
        webhookSent.increment();
        webhookLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void webhookFailed() {
        webhookFailed.increment();
    }

    @Override
    public void webhookDropped(String reason) {
        webhookDropped.computeIfAbsent(reason, r -> counter("switchboard.webhooks.dropped", "reason", r)).increment();
    }

    /** Stops the GC listener and closes the registry. */
    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
