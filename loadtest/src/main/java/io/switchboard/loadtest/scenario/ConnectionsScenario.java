package io.switchboard.loadtest.scenario;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.loadtest.LoadTestConfig;
import io.switchboard.loadtest.client.ClientConnector;
import io.switchboard.loadtest.client.ClientResources;
import io.switchboard.loadtest.client.CloseStatus;
import io.switchboard.loadtest.report.LatencyRecorder;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.MessageType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The connections scenario: this slice's agents and users connect at the ramp's rate (users {@code match} once
 * connected), then every connection is held and sends {@code {"type":"ping"}} every ping interval (first one at a
 * random point of the interval, so pings do not arrive in waves) until the duration is over. Reports the connect
 * rate, time to establish, failures by cause, closes by the server and the ping round trip.
 */
public final class ConnectionsScenario extends ScenarioSupport {

    private static final int MAX_MATCH_ATTEMPTS = 5;
    private static final long MATCH_RETRY_MILLIS = 500;

    private final List<Conn> conns = new ArrayList<>();
    private final LatencyRecorder pingLatency = new LatencyRecorder("ping");
    private final LongAdder pings = counters.get("ping.sent");
    private final LongAdder pongs = counters.get("ping.pong");
    private CompletableFuture<Void> ramp = CompletableFuture.completedFuture(null);
    private volatile long measureFromNanos = Long.MAX_VALUE;
    private volatile boolean pinging;

    public ConnectionsScenario(LoadTestConfig config, ClientResources resources, ClientConnector connector) {
        super(config, resources, connector);
        for (int a = config.firstAgent(); a < config.endAgent(); a++) {
            conns.add(new Conn(config.connectUri(config.agentId(a), true), false));
        }
        for (int u = config.firstUser(); u < config.endUser(); u++) {
            conns.add(new Conn(config.connectUri(config.userId(u), false), true));
        }
    }

    @Override
    public String name() {
        return "connections";
    }

    @Override
    public void prepare(Duration timeout) {
        // Everything happens after the synchronized start: the ramp is what this scenario measures.
    }

    @Override
    public void start(long startNanos) {
        measureFromNanos = startNanos + config.warmup().toNanos();
        pinging = true;
        ramp = ramp(conns);
    }

    @Override
    public void awaitStarted(Duration timeout) throws InterruptedException {
        await(ramp, timeout);
    }

    @Override
    public void stopTraffic() {
        pinging = false;
    }

    @Override
    public boolean drained() {
        return pongs.sum() + counters.sumPrefix("error.closed.") >= pings.sum();
    }

    @Override
    public long sent() {
        return pings.sum();
    }

    @Override
    public List<LatencyRecorder> latencies() {
        return List.of(connectLatency, pingLatency);
    }

    /** One held connection; confined to its channel's event loop. */
    private final class Conn extends Tracked {
        final boolean user;
        long pingSentNanos = -1;
        int matchAttempts;
        ScheduledFuture<?> pinger;

        Conn(java.net.URI uri, boolean user) {
            super(uri);
            this.user = user;
        }

        @Override
        void opened(Channel ch) {
            if (user) {
                match(ch);
            }
            final long interval = config.pingInterval().toNanos();
            pinger = ch.eventLoop().scheduleAtFixedRate(this::ping, ThreadLocalRandom.current().nextLong(interval),
                    interval, TimeUnit.NANOSECONDS);
        }

        private void match(Channel ch) {
            matchAttempts++;
            ch.writeAndFlush(Envelope.client(MessageType.MATCH.wireName(), null, Envelopes.SYSTEM, null),
                    ch.voidPromise());
        }

        private void ping() {
            if (!pinging || !channel.isActive()) {
                return;
            }
            if (pingSentNanos >= 0) {
                // The previous ping is still unanswered: count it, do not stack pings.
                counters.increment("ping.overdue");
                return;
            }
            pingSentNanos = System.nanoTime();
            pings.increment();
            channel.writeAndFlush(Envelope.client(MessageType.PING.wireName(), null, null, null),
                    channel.voidPromise());
        }

        @Override
        public void onEnvelope(Channel ch, Envelope e) {
            received.increment();
            final MessageType type = MessageType.fromWire(e.type());
            if (type == MessageType.PONG && pingSentNanos >= 0) {
                pongs.increment();
                pingLatency.record((System.nanoTime() - pingSentNanos) / 1000, pingSentNanos >= measureFromNanos);
                pingSentNanos = -1;
            } else if (type == MessageType.MATCH) {
                if (!user) {
                    counters.increment("agent.matched");
                } else if (e.isSuccess()) {
                    counters.increment("match.ok");
                } else if (matchAttempts < MAX_MATCH_ATTEMPTS) {
                    // The ramp interleaves agents and users: an agent may simply not be online yet.
                    ch.eventLoop().schedule(() -> match(ch), MATCH_RETRY_MILLIS, TimeUnit.MILLISECONDS);
                } else {
                    counters.increment("error.match." + e.reason());
                }
            } else if (type == MessageType.ERROR) {
                counters.increment("error.envelope." + e.reason());
            } else {
                counters.increment("other." + e.type());
            }
        }

        @Override
        void closed(Channel ch, CloseStatus status) {
            if (pinger != null) {
                pinger.cancel(false);
            }
        }
    }
}
