package io.switchboard.loadtest.scenario;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.switchboard.loadtest.LoadTestConfig;
import io.switchboard.loadtest.client.ClientConnections;
import io.switchboard.loadtest.client.ClientConnector;
import io.switchboard.loadtest.client.ClientListener;
import io.switchboard.loadtest.client.ClientResources;
import io.switchboard.loadtest.client.CloseStatus;
import io.switchboard.loadtest.client.ConnectionRamp;
import io.switchboard.loadtest.client.SourceAddressPool;
import io.switchboard.loadtest.report.Counters;
import io.switchboard.loadtest.report.LatencyRecorder;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every scenario shares: the connector, source addresses, connect ramp, counters, the time-to-establish
 * histogram, the set of open channels, and {@link Tracked}, the base listener that accounts for a connection's
 * establishment and end.
 */
abstract class ScenarioSupport implements Scenario {

    final LoadTestConfig config;
    final ClientResources resources;
    final ClientConnector connector;
    final SourceAddressPool sources;
    final Counters counters = new Counters();
    final LatencyRecorder connectLatency = new LatencyRecorder("connect");
    final Map<String, Long> maxima = new ConcurrentHashMap<>();
    final ChannelGroup channels;
    final LongAdder open = new LongAdder();
    final LongAdder received = new LongAdder();
    private final LongAdder attempted = counters.get("connect.attempted");
    private final LongAdder established = counters.get("connect.established");
    volatile boolean closing;

    ScenarioSupport(LoadTestConfig config, ClientResources resources, ClientConnector connector) {
        this.config = requireNonNull(config, "config");
        this.resources = requireNonNull(resources, "resources");
        this.connector = requireNonNull(connector, "connector");
        sources = SourceAddressPool.parse(config.source(), config.sliceIndex() * 7919);
        channels = new DefaultChannelGroup("lt-" + config.idPrefix(), resources.group().next());
    }

    /** Opens one connection per listener at the slice's connect rate; completes when all handshakes are over. */
    CompletableFuture<Void> ramp(List<? extends Tracked> targets) {
        final ConnectionRamp ramp = new ConnectionRamp(resources.group().next(), config.sliceConnectRate(),
                config.sliceMaxInFlight());
        final long t0 = System.nanoTime();
        return ramp.start(targets.size(), i -> {
            final Tracked t = targets.get(i);
            attempted.increment();
            t.connectStartNanos = System.nanoTime();
            return connector.connect(t.uri, sources.next(), t);
        }).whenComplete((ok, err) -> maxima.merge("connect.rampMillis",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), Math::max));
    }

    static void await(CompletableFuture<?> f, Duration timeout) throws InterruptedException {
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // Individual failures are counted by the listeners; a timeout leaves stragglers, reported as such.
        }
    }

    @Override
    public void close(Duration timeout) throws InterruptedException {
        closing = true;
        for (Channel ch : channels) {
            ClientConnections.close(ch);
        }
        channels.newCloseFuture().await(timeout.toMillis());
    }

    @Override
    public long openConnections() {
        return open.sum();
    }

    @Override
    public long received() {
        return received.sum();
    }

    @Override
    public long errors() {
        return counters.sumPrefix("error.") + counters.sumPrefix("receipt.1.");
    }

    @Override
    public Counters counters() {
        return counters;
    }

    @Override
    public Map<String, Long> maxima() {
        return Map.copyOf(maxima);
    }

    /** A connection's listener that accounts for its establishment and its end. Runs on the connection's loop. */
    abstract class Tracked implements ClientListener {
        final URI uri;
        long connectStartNanos;
        Channel channel;

        Tracked(URI uri) {
            this.uri = uri;
        }

        @Override
        public void onOpen(Channel ch) {
            channel = ch;
            channels.add(ch);
            established.increment();
            open.increment();
            connectLatency.record((System.nanoTime() - connectStartNanos) / 1000, true);
            opened(ch);
        }

        @Override
        public void onClosed(Channel ch, CloseStatus status) {
            if (status.established()) {
                open.decrement();
                if (!status.byClient() && !closing) {
                    counters.increment("error.closed." + (status.hasCode() ? status.code()
                            : status.failure() != null ? status.failure() : "no-frame"));
                }
            } else {
                counters.increment("error.connect." + (status.failure() != null ? status.failure() : "unknown"));
            }
            closed(ch, status);
        }

        @Override
        public void onMalformed(Channel ch, String problem) {
            received.increment();
            counters.increment("error.malformed");
        }

        /** The handshake completed. */
        abstract void opened(Channel ch);

        /** The connection ended (after the accounting). */
        void closed(Channel ch, CloseStatus status) {}
    }
}
