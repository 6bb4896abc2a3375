package io.switchboard.loadtest.scenario;

import io.netty.channel.Channel;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The chat scenario: this slice's agents connect with {@code ?role=agent}, its users connect and {@code match};
 * then every user sends {@code normal} messages to its agent on the open-loop schedule of {@link RateScheduler}
 * (or, with {@code --rate max}, the next one as soon as the previous receipt arrives), and every agent answers each
 * message with a reply that echoes its payload.
 *
 * <p>Checked: each user's stream at its agent and each agent's reply stream at the user, with
 * {@link SequenceTracker}s (loss, duplicates, reordering); every receipt by code and reason. Measured from the
 * intended send time: send→receipt, send→delivery at the agent (when the agent shares the sender's process clock)
 * and send→reply at the user. Users and agents are confined to their connection's event loop.
 */
public final class ChatScenario extends ScenarioSupport {

    private static final int MAX_MATCH_ATTEMPTS = 5;
    private static final long MATCH_RETRY_MILLIS = 500;
    /** Sends per loop turn before yielding, so a user far behind schedule cannot starve its loop's other users. */
    private static final int MAX_BURST = 32;

    private final String origin = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    /**
     * {@code --ack}: the gateway deduplicates an acknowledging sender's msgIds for minutes ({@code PROTOCOL.md} §5),
     * so they carry this run's origin, or a rerun with the same {@code --id-prefix} would be answered with the last
     * run's receipts and not delivered. Without {@code --ack}, msgIds are as they always were.
     */
    private final String msgIdPrefix;
    private final RateScheduler scheduler;
    private final List<User> users = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private final CompletableFuture<Void> allMatched = new CompletableFuture<>();
    private final LongAdder matchesPending = new LongAdder();
    private final LatencyRecorder receiptLatency = new LatencyRecorder("receipt");
    private final LatencyRecorder deliveryLatency = new LatencyRecorder("delivery");
    private final LatencyRecorder replyLatency = new LatencyRecorder("reply");
    private final LongAdder sent = counters.get("chat.sent");
    private final LongAdder sentMeasured = counters.get("chat.sent.measured");
    private final LongAdder sentInWindow = counters.get("chat.sent.in-window");
    private final LongAdder receipts = counters.get("chat.receipts");
    private final LongAdder delivered = counters.get("agent.delivered");
    private final LongAdder deliveredDup = counters.get("agent.duplicates");
    private final LongAdder deliveredReordered = counters.get("agent.reordered");
    private final LongAdder deliveredUnmeasured = counters.get("agent.delivered.unmeasured");
    private final LongAdder repliesSent = counters.get("agent.replies.sent");
    private final LongAdder agentReceipts = counters.get("agent.receipts");
    private final LongAdder replies = counters.get("user.replies");
    private final LongAdder repliesDup = counters.get("user.replies.duplicates");
    private final LongAdder repliesReordered = counters.get("user.replies.reordered");
    private volatile long startNanos;
    private volatile long measureFromNanos = Long.MAX_VALUE;
    private volatile long stopNanos = Long.MAX_VALUE;
    private volatile boolean sending;
    /** Open loop: how many messages the schedule holds before the stop, all owed even if sent late. */
    private volatile long scheduled = Long.MAX_VALUE;

    public ChatScenario(LoadTestConfig config, ClientResources resources, ClientConnector connector) {
        super(config, resources, connector);
        msgIdPrefix = config.ack() ? origin + "-" : "";
        scheduler = config.closedLoop() ? null : new RateScheduler(config.rate(), config.users());
        for (int a = config.firstAgent(); a < config.endAgent(); a++) {
            agents.add(new Agent(config.agentId(a)));
        }
        for (int u = config.firstUser(); u < config.endUser(); u++) {
            users.add(new User(u, config.userId(u)));
        }
        matchesPending.add(users.size());
        if (users.isEmpty()) {
            allMatched.complete(null);
        }
    }

    @Override
    public String name() {
        return "chat";
    }

    /** Users in this slice beyond what its agents can serve, 0 if none (the gateway would answer NO_AGENT). */
    public int usersBeyondCapacity() {
        return Math.max(0, users.size() - agents.size() * config.agentCapacity());
    }

    @Override
    public void prepare(Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        // Agents first: a user's match needs an agent online.
        await(ramp(agents), remaining(deadline));
        await(ramp(users), remaining(deadline));
        await(allMatched, remaining(deadline));
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    @Override
    public void start(long startNanos) {
        this.startNanos = startNanos;
        measureFromNanos = startNanos + config.warmup().toNanos();
        stopNanos = measureFromNanos + config.duration().toNanos();
        if (scheduler != null) {
            long n = 0;
            for (User u : users) {
                n += scheduler.messagesBefore(u.index, stopNanos - startNanos);
            }
            scheduled = n;
        }
        sending = true;
        for (User u : users) {
            final Channel ch = u.channel;
            if (ch != null && u.agentId != null) {
                ch.eventLoop().execute(u::sendDue);
            }
        }
    }

    @Override
    public void awaitStarted(Duration timeout) {
        // Nothing to wait for: connections were established in prepare().
    }

    /**
     * Closed loop: stops at once. Open loop: the schedule ends by itself at the stop time, and messages it owes
     * from before then are still sent (late, their latency counted from the intended time) during the drain.
     */
    @Override
    public void stopTraffic() {
        if (scheduler == null) {
            sending = false;
        }
    }

    /**
     * Only quantities of this process: with several workers an agent may serve users of another process, so
     * deliveries are checked through the replies they cause, which come back to the sending user's process.
     */
    @Override
    public boolean drained() {
        final long failedReceipts = counters.sumPrefix("receipt.1.");
        final long failedReplies = counters.sumPrefix("agent.receipt.1.");
        return (scheduler == null || sent.sum() >= scheduled)
                && receipts.sum() >= sent.sum()
                && replies.sum() + repliesDup.sum() + failedReplies >= sent.sum() - failedReceipts
                && agentReceipts.sum() >= repliesSent.sum();
    }

    @Override
    public long sent() {
        return sent.sum();
    }

    @Override
    public List<LatencyRecorder> latencies() {
        return List.of(receiptLatency, deliveryLatency, replyLatency, connectLatency);
    }

    static String normalize(String s) {
        return s == null || s.isEmpty() ? "none" : s.replace(' ', '-');
    }

    /** A user: matches, then sends on schedule; confined to its channel's event loop. */
    private final class User extends Tracked {
        final int index;
        final SequenceTracker repliesSeen = new SequenceTracker();
        String agentId;
        int matchAttempts;
        long seq;
        long closedLoopIntended;
        boolean awaitingReceipt;
        boolean scheduled;

        User(int index, String userId) {
            super(userId, false);
            this.index = index;
        }

        @Override
        void opened(Channel ch) {
            match();
        }

        private void match() {
            matchAttempts++;
            channel.writeAndFlush(Envelope.client(MessageType.MATCH.wireName(), "m" + index, Envelopes.SYSTEM, null),
                    channel.voidPromise());
        }

        @Override
        void closed(Channel ch, CloseStatus status) {
            if (agentId == null) {
                matchFailed();
            }
        }

        private void matchFailed() {
            if (agentId == null && matchAttempts != Integer.MAX_VALUE) {
                matchAttempts = Integer.MAX_VALUE;
                matchDone();
            }
        }

        @Override
        void reopened(Channel ch) {
            if (agentId == null) {
                match();
            } else if (sending) {
                sendDue();
            }
        }

        @Override
        public void onEnvelope(Channel ch, Envelope e) {
            received.increment();
            if (!accept(e)) {
                return;
            }
            final MessageType type = MessageType.fromWire(e.type());
            if (type == MessageType.RECEIPT) {
                onReceipt(e);
            } else if (type == MessageType.NORMAL) {
                onReply(e);
            } else if (type == MessageType.MATCH) {
                onMatch(e);
            } else if (type == MessageType.DELIVERED) {
                counters.increment("ack.delivered.user");
            } else if (type == MessageType.ERROR) {
                counters.increment("error.envelope." + normalize(e.reason()));
            } else {
                counters.increment("user.other." + normalize(e.type()));
            }
        }

        private void onMatch(Envelope e) {
            if (agentId != null) {
                return;
            }
            if (e.isSuccess() && e.msg() != null) {
                agentId = e.msg();
                counters.increment("match.ok");
                if (!isLocalAgent(agentId)) {
                    counters.increment("match.cross-process");
                }
                matchDone();
                if (sending) {
                    sendDue();
                }
            } else if (matchAttempts < MAX_MATCH_ATTEMPTS) {
                channel.eventLoop().schedule(this::match, MATCH_RETRY_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                counters.increment("error.match." + normalize(e.reason()));
                matchFailed();
            }
        }

        private void matchDone() {
            matchesPending.decrement();
            if (matchesPending.sum() == 0) {
                allMatched.complete(null);
            }
        }

        /** Sends every message that is due; schedules itself for the next one. */
        void sendDue() {
            scheduled = false;
            if (!sending || channel == null || !channel.isActive() || agentId == null) {
                return;
            }
            if (scheduler == null) {
                if (!awaitingReceipt) {
                    final long now = System.nanoTime();
                    if (now < stopNanos) {
                        closedLoopIntended = now;
                        awaitingReceipt = true;
                        send(now);
                    }
                }
                return;
            }
            final long now = System.nanoTime();
            for (int burst = 0; ; burst++) {
                final long intended = startNanos + scheduler.offsetNanos(index, seq);
                if (intended >= stopNanos) {
                    return;
                }
                if (intended > now) {
                    schedule(intended - now);
                    return;
                }
                if (!channel.isWritable()) {
                    // Resumed by onWritabilityChanged; the delay is charged to the latency (intended time kept).
                    return;
                }
                if (burst == MAX_BURST) {
                    schedule(0);
                    return;
                }
                send(intended);
            }
        }

        private void schedule(long delayNanos) {
            if (!scheduled) {
                scheduled = true;
                channel.eventLoop().schedule(this::sendDue, delayNanos, TimeUnit.NANOSECONDS);
            }
        }

        private void send(long intended) {
            final long s = seq++;
            writeRequest(Envelope.client(MessageType.NORMAL.wireName(), msgIdPrefix + index + "-" + s, agentId,
                    Payload.encode(s, intended, origin, config.payloadBytes())));
            sent.increment();
            if (intended >= measureFromNanos) {
                sentMeasured.increment();
            }
            final long now = System.nanoTime();
            if (now >= measureFromNanos && now < stopNanos) {
                sentInWindow.increment();
            }
        }

        @Override
        public void onWritabilityChanged(Channel ch) {
            if (ch.isWritable()) {
                sendDue();
            }
        }

        private void onReceipt(Envelope e) {
            answered(e.msgId());
            receipts.increment();
            counters.increment(e.isSuccess() ? "receipt.0." + normalize(e.msg())
                                             : "receipt.1." + normalize(e.reason()));
            final long s = seqOf(e.msgId());
            if (s < 0) {
                counters.increment("error.receipt.unknown-msgid");
                return;
            }
            final long intended = scheduler == null ? closedLoopIntended : startNanos + scheduler.offsetNanos(index, s);
            receiptLatency.record((System.nanoTime() - intended) / 1000, intended >= measureFromNanos);
            if (scheduler == null) {
                awaitingReceipt = false;
                sendDue();
            }
        }

        private void onReply(Envelope e) {
            final Payload.Fields p = Payload.decode(e.msg());
            if (p == null || !origin.equals(p.origin())) {
                counters.increment("error.reply.malformed");
                return;
            }
            switch (repliesSeen.record(p.seq())) {
                case DUPLICATE:
                    repliesDup.increment();
                    return;
                case REORDERED:
                    repliesReordered.increment();
                    break;
                default:
                    break;
            }
            replies.increment();
            replyLatency.record((System.nanoTime() - p.intendedNanos()) / 1000, p.intendedNanos() >= measureFromNanos);
        }
    }

    private boolean isLocalAgent(String id) {
        final String prefix = config.idPrefix() + "-a-";
        if (!id.startsWith(prefix)) {
            return false;
        }
        try {
            final int i = Integer.parseInt(id.substring(prefix.length()));
            return i >= config.firstAgent() && i < config.endAgent();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static long seqOf(String msgId) {
        if (msgId == null) {
            return -1;
        }
        final int dash = msgId.lastIndexOf('-');
        try {
            return dash < 0 ? -1 : Long.parseLong(msgId, dash + 1, msgId.length(), 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** An agent: answers every message; checks each user's stream. Confined to its channel's event loop. */
    private final class Agent extends Tracked {
        final Map<String, SequenceTracker> streams = new HashMap<>();

        Agent(String agentId) {
            super(agentId, true);
        }

        @Override
        void opened(Channel ch) {
            // Agents only answer.
        }

        @Override
        public void onEnvelope(Channel ch, Envelope e) {
            received.increment();
            if (!accept(e)) {
                return;
            }
            final MessageType type = MessageType.fromWire(e.type());
            if (type == MessageType.NORMAL) {
                onMessage(ch, e);
            } else if (type == MessageType.RECEIPT) {
                answered(e.msgId());
                agentReceipts.increment();
                counters.increment(e.isSuccess() ? "agent.receipt.0." + normalize(e.msg())
                        : "agent.receipt.1." + normalize(e.reason()));
            } else if (type == MessageType.MATCH) {
                counters.increment("agent.matched");
            } else if (type == MessageType.DELIVERED) {
                counters.increment("ack.delivered.agent");
            } else if (type == MessageType.ERROR) {
                counters.increment("error.envelope." + normalize(e.reason()));
            } else {
                counters.increment("agent.other." + normalize(e.type()));
            }
        }

        private void onMessage(Channel ch, Envelope e) {
            final Payload.Fields p = Payload.decode(e.msg());
            if (p == null || e.from() == null) {
                counters.increment("error.delivery.malformed");
                return;
            }
            final SequenceTracker stream = streams.computeIfAbsent(e.from(), k -> new SequenceTracker());
            switch (stream.record(p.seq())) {
                case DUPLICATE:
                    deliveredDup.increment();
                    return;
                case REORDERED:
                    deliveredReordered.increment();
                    break;
                default:
                    break;
            }
            delivered.increment();
            if (origin.equals(p.origin())) {
                deliveryLatency.record((System.nanoTime() - p.intendedNanos()) / 1000,
                        p.intendedNanos() >= measureFromNanos);
            } else {
                // Another process's clock: not comparable with ours.
                deliveredUnmeasured.increment();
            }
            writeRequest(Envelope.client(MessageType.NORMAL.wireName(), "r" + e.msgId(), e.from(), e.msg()));
            repliesSent.increment();
        }
    }
}
