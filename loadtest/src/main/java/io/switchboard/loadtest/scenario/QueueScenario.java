package io.switchboard.loadtest.scenario;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.switchboard.loadtest.LoadTestConfig;
import io.switchboard.loadtest.client.ClientConnector;
import io.switchboard.loadtest.client.ClientResources;
import io.switchboard.loadtest.report.LatencyRecorder;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.MessageType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The queue scenario ({@code PROTOCOL.md} §6): more users than the agents can serve at once. Every user asks for an
 * agent with {@code match} and {@code "msg":"queue"}, waits in the gateway's queue when all are busy, has a short
 * conversation once matched ({@code --messages} messages, each answered by its agent, {@code --think-time} between
 * them), leaves, and after another think time queues again, until the run stops; users still waiting then leave the
 * queue. The freed places go to the head of the queue, so the run exercises the queue's turnover.
 *
 * <p>Measured: the wait from the {@code match} request to the {@code match} that pairs the user (users matched at once
 * included), the receipt and the reply of each message. Checked: no user matched twice for one request, every
 * message answered. Users and agents are confined to their connection's event loop.
 *
 * <p>Counted but not errors, because the gateway (as of #14's first cut) sends the queue's notices from whichever
 * thread changed the queue while answers and other notices go out on the recipient's own loop, so they can overtake
 * each other: a position that is not better than the previous one ({@code queue.position-out-of-order}); a
 * {@code match} after the receipt of the {@code leave} that ended that pairing, for users leaving the queue at the
 * stop ({@code queue.match-after-leave}); an agent that hears a new user's {@code match} before the {@code leave}
 * that freed the place ({@code agent.over-capacity-seen}), or a {@code leave} before its {@code match}
 * ({@code agent.leave-before-match}).
 */
public final class QueueScenario extends ScenarioSupport {

    /**
     * The scenario's own settings.
     *
     * @param messages  messages a user sends per conversation before it leaves (each waits for the agent's reply)
     * @param thinkTime pause between a reply and the next message, and between leaving and queueing again
     */
    public record Options(int messages, Duration thinkTime) {
        public Options {
            requireNonNull(thinkTime, "thinkTime");
            if (messages < 1) {
                throw new IllegalArgumentException("--messages: " + messages + " (expected >= 1)");
            }
            if (thinkTime.isNegative()) {
                throw new IllegalArgumentException("--think-time: " + thinkTime + " (expected >= 0)");
            }
        }
    }

    /** The wait metric: {@code match} request to the pairing {@code match}, in microseconds. */
    public static final String WAIT = "queue-wait";

    private enum State { IDLE, ASKING, QUEUED, CHATTING, LEAVING }

    private final Options options;
    private final String origin = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    private final List<User> users = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private final LatencyRecorder waitLatency = new LatencyRecorder(WAIT);
    private final LatencyRecorder receiptLatency = new LatencyRecorder("receipt");
    private final LatencyRecorder replyLatency = new LatencyRecorder("reply");
    private final LongAdder sent = counters.get("chat.sent");
    private final LongAdder replies = counters.get("user.replies");
    private final LongAdder asked = counters.get("queue.asked");
    private final LongAdder queued = counters.get("queue.queued");
    private final LongAdder matchedAtOnce = counters.get("queue.matched-at-once");
    private final LongAdder matchedFromQueue = counters.get("queue.matched-from-queue");
    private final LongAdder positionUpdates = counters.get("queue.position-updates");
    private final LongAdder conversations = counters.get("queue.conversations-completed");
    /** Requests whose answer has not come (match, message until its reply, leave): the drain waits for 0. */
    private final LongAdder outstanding = new LongAdder();
    private volatile long measureFromNanos = Long.MAX_VALUE;
    private volatile boolean running;

    public QueueScenario(LoadTestConfig config, ClientResources resources, ClientConnector connector,
                         Options options) {
        super(config, resources, connector);
        this.options = requireNonNull(options, "options");
        for (int a = config.firstAgent(); a < config.endAgent(); a++) {
            agents.add(new Agent(config.agentId(a)));
        }
        for (int u = config.firstUser(); u < config.endUser(); u++) {
            users.add(new User(config.userId(u)));
        }
    }

    @Override
    public String name() {
        return "queue";
    }

    @Override
    public void prepare(Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        await(ramp(agents), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        await(ramp(users), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    @Override
    public void start(long startNanos) {
        measureFromNanos = startNanos + config.warmup().toNanos();
        running = true;
        for (User u : users) {
            final Channel ch = u.channel;
            if (ch != null && ch.isActive()) {
                ch.eventLoop().execute(u::ask);
            }
        }
    }

    @Override
    public void awaitStarted(Duration timeout) {
        // Connections were established in prepare().
    }

    @Override
    public void stopTraffic() {
        running = false;
        for (User u : users) {
            final Channel ch = u.channel;
            if (ch != null && ch.isActive()) {
                ch.eventLoop().execute(u::stop);
            }
        }
    }

    @Override
    public boolean drained() {
        return outstanding.sum() <= 0;
    }

    @Override
    public long sent() {
        return sent.sum();
    }

    @Override
    public List<LatencyRecorder> latencies() {
        return List.of(waitLatency, receiptLatency, replyLatency);
    }

    /** A user cycling through ask, wait, talk, leave; confined to its channel's loop. */
    private final class User extends Tracked {
        private State state = State.IDLE;
        private String matchMsgId;
        private String agentId;
        private long askedNanos;
        private long sentNanos;
        private int position;
        private int messagesSent;
        private int requests;
        /** This user left the queue at the stop (the gateway may still have paired it just before). */
        private boolean leftQueue;

        User(String userId) {
            super(userId, false);
        }

        @Override
        void opened(Channel ch) {
            // Traffic starts with the run (start()).
        }

        private String nextId(String kind) {
            return origin + '-' + kind + '-' + (++requests);
        }

        void ask() {
            if (!running || state != State.IDLE || !channel.isActive()) {
                return;
            }
            state = State.ASKING;
            position = 0;
            matchMsgId = nextId("q");
            askedNanos = System.nanoTime();
            asked.increment();
            outstanding.increment();
            channel.writeAndFlush(Envelope.client(MessageType.MATCH.wireName(), matchMsgId, Envelopes.SYSTEM,
                    "queue"), channel.voidPromise());
        }

        /** The run stops: a waiting user leaves the queue; a talking one leaves after the reply it waits for. */
        void stop() {
            if (state == State.QUEUED) {
                counters.increment("queue.left-at-stop");
                leftQueue = true;
                leave();
            }
        }

        private void leave() {
            state = State.LEAVING;
            outstanding.increment();
            channel.writeAndFlush(Envelope.client(MessageType.LEAVE.wireName(), nextId("l"), null, null),
                    channel.voidPromise());
        }

        private void later(Runnable r) {
            final long delay = options.thinkTime().toNanos();
            if (delay == 0) {
                channel.eventLoop().execute(r);
            } else {
                channel.eventLoop().schedule(r, delay, TimeUnit.NANOSECONDS);
            }
        }

        private void sendNext() {
            if (state != State.CHATTING || !channel.isActive()) {
                return;
            }
            messagesSent++;
            sentNanos = System.nanoTime();
            sent.increment();
            outstanding.increment();
            channel.writeAndFlush(Envelope.client(MessageType.NORMAL.wireName(), nextId("m"), agentId,
                    Payload.encode(messagesSent, sentNanos, origin, config.payloadBytes())), channel.voidPromise());
        }

        @Override
        public void onEnvelope(Channel ch, Envelope e) {
            received.increment();
            final MessageType type = MessageType.fromWire(e.type());
            if (type == null) {
                counters.increment("other." + e.type());
                return;
            }
            switch (type) {
                case QUEUE -> queuedAt(e);
                case MATCH -> matched(e);
                case NORMAL -> replied(e);
                case RECEIPT -> receipt(e);
                case LEAVE -> {
                    // Only when an agent ends the conversation, which the agents here never do.
                    counters.increment("error.queue.unexpected-leave");
                    if (state == State.CHATTING) {
                        outstanding.decrement();
                        state = State.IDLE;
                        later(this::ask);
                    }
                }
                case ERROR -> counters.increment("error.envelope." + e.reason());
                default -> counters.increment("other." + e.type());
            }
        }

        private void queuedAt(Envelope e) {
            if (!e.isSuccess()) {
                counters.increment("error.queue." + e.reason());
                return;
            }
            final int now = Integer.parseInt(e.msg());
            if (state == State.ASKING && matchMsgId.equals(e.msgId())) {
                queued.increment();
                outstanding.decrement();
                state = State.QUEUED;
                if (!running) {
                    stop();
                }
            } else if (state == State.QUEUED) {
                positionUpdates.increment();
                if (now >= position) {
                    // FIFO with agents that never leave: a place can only get better, but the gateway's position
                    // notices can overtake each other (see the class comment).
                    counters.increment("queue.position-out-of-order");
                }
            } else {
                counters.increment("queue.position-after-wait");
            }
            position = now;
        }

        private void matched(Envelope e) {
            if (!e.isSuccess()) {
                counters.increment("queue.refused." + e.reason());
                if (state == State.ASKING || state == State.QUEUED) {
                    if (state == State.ASKING) {
                        outstanding.decrement();
                    }
                    state = State.IDLE;
                    later(this::ask);
                }
                return;
            }
            if (state != State.ASKING && state != State.QUEUED) {
                if (leftQueue) {
                    // The gateway paired this user just before its leave ended that pairing, and the match notice
                    // came after the leave's receipt (see the class comment): stale, not a second pairing.
                    counters.increment("queue.match-after-leave");
                } else {
                    counters.increment("error.queue.matched-twice");
                }
                return;
            }
            final long waited = System.nanoTime() - askedNanos;
            waitLatency.record(waited / 1000, askedNanos >= measureFromNanos);
            if (state == State.ASKING) {
                matchedAtOnce.increment();
                outstanding.decrement();
            } else {
                matchedFromQueue.increment();
            }
            agentId = e.msg();
            messagesSent = 0;
            state = State.CHATTING;
            if (running) {
                sendNext();
            } else {
                leave();
            }
        }

        private void replied(Envelope e) {
            if (state != State.CHATTING || !e.from().equals(agentId)) {
                counters.increment("error.queue.unexpected-normal");
                return;
            }
            replies.increment();
            outstanding.decrement();
            replyLatency.record((System.nanoTime() - sentNanos) / 1000, sentNanos >= measureFromNanos);
            if (running && messagesSent < options.messages()) {
                later(this::sendNext);
            } else {
                leave();
            }
        }

        private void receipt(Envelope e) {
            final String id = e.msgId() == null ? "" : e.msgId();
            final String outcome = e.isSuccess() ? "0." + ChatScenario.normalize(e.msg())
                                                 : "1." + ChatScenario.normalize(e.reason());
            if (id.startsWith(origin + "-m-")) {
                counters.increment("receipt." + outcome);
                receiptLatency.record((System.nanoTime() - sentNanos) / 1000, sentNanos >= measureFromNanos);
                if (!e.isSuccess() && state == State.CHATTING) {
                    outstanding.decrement(); // no reply will come
                    leave();
                }
            } else if (id.startsWith(origin + "-l-") && state == State.LEAVING) {
                counters.increment(e.isSuccess() ? "leave.receipt.ok" : "error.leave." + e.reason());
                outstanding.decrement();
                if (agentId != null) {
                    conversations.increment();
                }
                agentId = null;
                state = State.IDLE;
                later(this::ask);
            }
        }
    }

    /** An agent that answers each message with one reply; confined to its channel's loop. */
    private final class Agent extends Tracked {
        private final Set<String> serving = new HashSet<>();
        /** Users whose leave came before their match (the notices overtook each other). */
        private final Set<String> leftFirst = new HashSet<>();

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
            final MessageType type = MessageType.fromWire(e.type());
            if (type == MessageType.MATCH && e.isSuccess()) {
                counters.increment("agent.matched");
                if (!leftFirst.remove(e.msg())) {
                    serving.add(e.msg());
                }
                if (serving.size() > config.agentCapacity()) {
                    // A new user's match before the leave of the one whose place it took (see the class comment).
                    counters.increment("agent.over-capacity-seen");
                }
            } else if (type == MessageType.LEAVE) {
                if (!serving.remove(e.msg())) {
                    leftFirst.add(e.msg());
                    counters.increment("agent.leave-before-match");
                }
            } else if (type == MessageType.NORMAL) {
                counters.increment("agent.delivered");
                counters.increment("agent.replies.sent");
                ch.writeAndFlush(Envelope.client(MessageType.NORMAL.wireName(), null, e.from(), e.msg()),
                        ch.voidPromise());
            } else if (type == MessageType.RECEIPT) {
                if (!e.isSuccess()) {
                    counters.increment("agent.receipt.1." + e.reason());
                }
            } else if (type == MessageType.ERROR) {
                counters.increment("error.envelope." + e.reason());
            } else {
                counters.increment("other." + e.type());
            }
        }
    }
}
