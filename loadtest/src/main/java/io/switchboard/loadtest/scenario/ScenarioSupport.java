package io.switchboard.loadtest.scenario;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
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
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.netty.CloseCodes;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every scenario shares: the connector, source addresses, connect ramp, counters, the time-to-establish
 * histogram, the set of open channels, and {@link Tracked}, the base listener that accounts for a connection's
 * establishment and end.
 */
abstract class ScenarioSupport implements Scenario {

    /** {@code --ack}: reconnect attempts in a row before a connection is given up. */
    static final int MAX_RECONNECT_ATTEMPTS = 20;
    static final long RECONNECT_BASE_MILLIS = 100;
    static final long RECONNECT_MAX_MILLIS = 2000;
    static final long RECONNECT_FLOOR_MILLIS = 20;

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
    // --ack only; created on first use, so that a run without it reports exactly the counters it always did.
    private LongAdder ackDuplicates;
    private LongAdder ackGaps;
    private LongAdder ackGapSeqs;
    private LongAdder ackSent;
    private LongAdder ackReconnected;
    private LongAdder ackReconnectAttempts;
    private LongAdder ackResent;
    volatile boolean closing;

    ScenarioSupport(LoadTestConfig config, ClientResources resources, ClientConnector connector) {
        this.config = requireNonNull(config, "config");
        this.resources = requireNonNull(resources, "resources");
        this.connector = requireNonNull(connector, "connector");
        sources = SourceAddressPool.parse(config.source(), config.sliceIndex() * 7919);
        channels = new DefaultChannelGroup("lt-" + config.idPrefix(), resources.group().next());
        if (config.ack()) {
            ackDuplicates = counters.get("ack.duplicates-suppressed");
            ackGaps = counters.get("ack.gaps");
            ackGapSeqs = counters.get("ack.gap-seqs");
            ackSent = counters.get("ack.sent");
            ackReconnected = counters.get("ack.reconnected");
            ackReconnectAttempts = counters.get("ack.reconnect.attempts");
            ackResent = counters.get("ack.resent");
        }
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

    /**
     * A connection's listener that accounts for its establishment and its end. Runs on the connection's loop; with
     * {@code --ack} its reconnects are made on that same loop, so it stays confined to one thread.
     *
     * <p>With {@code --ack} (chat participants only) it also does the client's part of {@code PROTOCOL.md} §5: drops
     * redelivered seqs before the scenario sees them ({@link #accept}), acknowledges once per read batch, reconnects
     * with {@code since} after a drop (full-jitter backoff; not after 4001/4003), and resends the messages whose
     * receipt had not come, with their msgIds (the gateway answers a resend with the first receipt and does not
     * deliver it again).
     */
    abstract class Tracked implements ClientListener {
        final URI uri;
        final String userId;
        final boolean agent;
        /** {@code --ack} only, else {@code null}. */
        final AckTracker ack;
        /** {@code --ack} only: sent messages without a receipt yet, by msgId, oldest first. */
        final Map<String, Envelope> unanswered;
        long connectStartNanos;
        Channel channel;
        private boolean reconnecting;
        private int reconnectAttempts;
        private long connectingSince = AckTracker.NONE;

        Tracked(URI uri) {
            this.uri = uri;
            userId = null;
            agent = false;
            ack = null;
            unanswered = null;
        }

        /** A chat participant: with {@code --ack}, an acknowledging connection that reconnects. */
        Tracked(String userId, boolean agent) {
            this.userId = userId;
            this.agent = agent;
            if (config.ack()) {
                uri = config.connectUri(userId, agent, AckTracker.NONE);
                ack = new AckTracker();
                unanswered = new LinkedHashMap<>();
            } else {
                uri = config.connectUri(userId, agent);
                ack = null;
                unanswered = null;
            }
        }

        @Override
        public void onOpen(Channel ch) {
            if (closing && ack != null) {
                // A reconnect that completed while the run was closing.
                ClientConnections.close(ch);
                return;
            }
            channel = ch;
            channels.add(ch);
            open.increment();
            if (reconnecting) {
                reconnecting = false;
                reconnectAttempts = 0;
                ackReconnected.increment();
                ack.connectionOpened(connectingSince);
                if (!unanswered.isEmpty()) {
                    for (Envelope e : unanswered.values()) {
                        ch.write(e, ch.voidPromise());
                    }
                    ch.flush();
                    ackResent.add(unanswered.size());
                }
                reopened(ch);
                return;
            }
            established.increment();
            connectLatency.record((System.nanoTime() - connectStartNanos) / 1000, true);
            if (ack != null) {
                ack.connectionOpened(AckTracker.NONE);
            }
            opened(ch);
        }

        @Override
        public void onClosed(Channel ch, CloseStatus status) {
            if (ack != null && !closing && !status.byClient() && (status.established() || reconnecting)
                    && status.code() != CloseCodes.REPLACED.code() && status.code() != CloseCodes.KICKED.code()) {
                if (status.established()) {
                    open.decrement();
                    counters.increment("ack.closed." + (status.hasCode() ? status.code()
                            : status.failure() != null ? status.failure() : "no-frame"));
                } else {
                    counters.increment("ack.reconnect.failed." + (status.failure() != null ? status.failure()
                            : "unknown"));
                }
                if (reconnectAttempts < MAX_RECONNECT_ATTEMPTS) {
                    scheduleReconnect(ch.eventLoop());
                    return;
                }
                counters.increment("error.ack.reconnect-gave-up");
                reconnecting = false;
                closed(ch, status);
                return;
            }
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

        private void scheduleReconnect(EventLoop loop) {
            // Full jitter below an exponential ceiling, so that a restarted gateway is not hit by every user at once.
            final long ceiling = Math.min(RECONNECT_MAX_MILLIS,
                    RECONNECT_BASE_MILLIS << Math.min(reconnectAttempts, 16));
            final long delay = Math.max(RECONNECT_FLOOR_MILLIS,
                    (long) (ThreadLocalRandom.current().nextDouble() * ceiling));
            reconnectAttempts++;
            reconnecting = true;
            loop.schedule(() -> {
                if (closing) {
                    return;
                }
                connectingSince = ack.since();
                ackReconnectAttempts.increment();
                connector.connect(config.connectUri(userId, agent, connectingSince), sources.next(), this, loop);
            }, delay, TimeUnit.MILLISECONDS);
        }

        /**
         * {@code --ack}: whether {@code e} is new, to be processed; {@code false} for a redelivery of a seq already
         * processed, counted as suppressed. A seq jump is counted as a gap. Without {@code --ack}, always true.
         */
        boolean accept(Envelope e) {
            if (ack == null) {
                return true;
            }
            final long seq = AckTracker.parse(e.seq());
            if (seq == AckTracker.NONE) {
                return true;
            }
            final long skipped = ack.arrived(seq);
            if (skipped < 0) {
                ackDuplicates.increment();
                return false;
            }
            if (skipped > 0) {
                ackGaps.increment();
                ackGapSeqs.add(skipped);
            }
            return true;
        }

        /** Writes a message that expects a receipt; with {@code --ack} it is kept until the receipt comes. */
        void writeRequest(Envelope e) {
            if (unanswered != null) {
                unanswered.put(e.msgId(), e);
            }
            channel.writeAndFlush(e, channel.voidPromise());
        }

        /** The receipt for {@code msgId} came. */
        void answered(String msgId) {
            if (unanswered != null && msgId != null) {
                unanswered.remove(msgId);
            }
        }

        @Override
        public void onReadComplete(Channel ch) {
            // One cumulative ack per read batch, covering everything processed in it.
            if (ack != null && ch == channel) {
                final long upTo = ack.ackDue();
                if (upTo != AckTracker.NONE) {
                    ch.writeAndFlush(Envelope.client(MessageType.ACK.wireName(), null, null, Long.toString(upTo)),
                            ch.voidPromise());
                    ackSent.increment();
                }
            }
        }

        @Override
        public void onMalformed(Channel ch, String problem) {
            received.increment();
            counters.increment("error.malformed");
        }

        /** The handshake completed. */
        abstract void opened(Channel ch);

        /** {@code --ack}: a reconnect completed, after the unanswered messages were resent. */
        void reopened(Channel ch) {}

        /** The connection ended (after the accounting), for good. */
        void closed(Channel ch, CloseStatus status) {}
    }
}
