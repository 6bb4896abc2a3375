package io.switchboard.gateway.metrics;

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
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.switchboard.gateway.session.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The gateway's metrics as served at {@code /metrics}: one Micrometer {@link PrometheusMeterRegistry} holding the
 * {@link GatewayMetrics} meters, Micrometer's JVM binders, and its Netty allocator and event-loop binders.
 * {@link #scrape()} renders it. Thread-safe; {@link #close()} stops the GC listener and closes the registry.
 */
public final class PrometheusMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final GatewayMetrics gateway;

    /**
     * @param activeByRole the live sessions of a role, sampled at scrape time (the session registry's count)
     * @param groups the event-loop groups whose pending tasks are reported, per executor
     */
    public PrometheusMetrics(ToDoubleFunction<Role> activeByRole, EventExecutorGroup... groups) {
        gateway = new GatewayMetrics(registry, activeByRole);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
        final List<EventExecutor> executors = new ArrayList<>();
        for (EventExecutorGroup group : groups) {
            group.forEach(executors::add);
        }
        new NettyEventExecutorMetrics(executors).bindTo(registry);
    }

    /** What the components record into. */
    public GatewayMetrics gateway() {
        return gateway;
    }

    /** The Prometheus text exposition of every meter. CPU only; safe on an event loop. */
    public String scrape() {
        return registry.scrape();
    }

    /** Stops the GC listener and closes the registry. */
    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
