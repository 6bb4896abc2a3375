package io.switchboard.gateway.session;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * One upgraded WebSocket connection of one userId. Identity matters: two sessions of the same userId are different
 * sessions (the later replaces the earlier), so {@code equals} is {@code Object} identity.
 *
 * <p>Thread-safe: the fields are final or updated atomically (field updaters rather than atomic objects, to keep a
 * held connection small), because routers on other event loops change them.
 */
public final class Session {

    private final String userId;
    private final Role role;
    private final boolean ack;
    private final long since;
    private final Channel channel;
    private final long connectedAtMillis;
    private final long acceptedAtNanos;
    /** When a frame last came in or went out ({@code System.nanoTime()}); for the idle sweep. */
    private volatile long lastReadNanos;
    private volatile long lastWriteNanos;
    private static final AtomicIntegerFieldUpdater<Session> ARMED =
            AtomicIntegerFieldUpdater.newUpdater(Session.class, "slowConsumerCheckArmed");
    private static final AtomicIntegerFieldUpdater<Session> WRITES =
            AtomicIntegerFieldUpdater.newUpdater(Session.class, "writesFromOtherThreads");
    /** 1 while a slow-consumer check is scheduled. */
    private volatile int slowConsumerCheckArmed;
    /** Writes handed to the channel from other threads and not yet done (see {@link #writeFromOtherThread}). */
    private volatile int writesFromOtherThreads;
    private static final AtomicReferenceFieldUpdater<Session, CloseStatus> CLOSE_STATUS =
            AtomicReferenceFieldUpdater.newUpdater(Session.class, CloseStatus.class, "closeStatus");
    /** The first close frame seen; set once. */
    private volatile CloseStatus closeStatus;

    /** The first WebSocket close frame seen on the connection, and which side sent it. */
    public record CloseStatus(int code, String reason, boolean byServer) {}

    public Session(ConnectionIdentity identity, Channel channel, long connectedAtMillis) {
        this.userId = identity.userId();
        this.role = identity.role();
        this.ack = identity.ack();
        this.since = identity.since();
        this.channel = requireNonNull(channel, "channel");
        this.connectedAtMillis = connectedAtMillis;
        this.acceptedAtNanos = identity.acceptedAtNanos();
        final long now = System.nanoTime();
        this.lastReadNanos = now;
        this.lastWriteNanos = now;
    }

    /** A frame came in at {@code nanos}. */
    public void read(long nanos) {
        lastReadNanos = nanos;
    }

    /** A frame went out at {@code nanos}. */
    public void wrote(long nanos) {
        lastWriteNanos = nanos;
    }

    /** When a frame last came in (pongs included), {@code System.nanoTime()} based. */
    public long lastReadNanos() {
        return lastReadNanos;
    }

    /** When a frame last went out, {@code System.nanoTime()} based. */
    public long lastWriteNanos() {
        return lastWriteNanos;
    }

    /** Whether this connection's upgrade was accepted after {@code other}'s (see {@link ConnectionIdentity}). */
    public boolean isNewerThan(Session other) {
        return acceptedAtNanos - other.acceptedAtNanos > 0;
    }

    public String userId() {
        return userId;
    }

    public Role role() {
        return role;
    }

    /** Whether the connection asked for acknowledged delivery ({@code ?ack=1}, {@code PROTOCOL.md} §5). */
    public boolean ackMode() {
        return ack;
    }

    /** The seq given with {@code ?since=}, or {@link ConnectionIdentity#NO_SINCE}. */
    public long since() {
        return since;
    }

    /** The connection; write to it with {@code channel().writeAndFlush(envelope)} from any thread. */
    public Channel channel() {
        return channel;
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    /** A stable id of this connection (the channel's), to tell two connections of one userId apart. */
    public String connectionId() {
        return channel.id().asLongText();
    }

    /** Records a close frame; only the first one counts (the answer to a close echoes it). Thread-safe. */
    public void recordClose(int code, String reason, boolean byServer) {
        CLOSE_STATUS.compareAndSet(this, null, new CloseStatus(code, reason, byServer));
    }

    /** The first close frame sent or received, or {@code null} if none (yet). */
    public CloseStatus closeStatus() {
        return closeStatus;
    }

    /**
     * Arms the slow-consumer check once; returns {@code false} if it is already armed, so that a burst of messages
     * to a slow peer schedules one check, not one per message.
     */
    public boolean armSlowConsumerCheck() {
        return ARMED.compareAndSet(this, 0, 1);
    }

    /** Disarms the slow-consumer check (the peer caught up, or the check ran). */
    public void disarmSlowConsumerCheck() {
        slowConsumerCheckArmed = 0;
    }

    /**
     * A write is handed to the channel from another thread: it runs as a task on the channel's loop, later. Until it
     * is done ({@link #writeFromOtherThreadDone}), a write on the loop itself could overtake it.
     */
    public void writeFromOtherThread() {
        WRITES.incrementAndGet(this);
    }

    /** A write handed from another thread is done (written or failed); returns how many still are not. */
    public int writeFromOtherThreadDone() {
        return WRITES.decrementAndGet(this);
    }

    /** Whether writes handed from other threads are not done yet. */
    public boolean writesFromOtherThreadsPending() {
        return writesFromOtherThreads != 0;
    }

    @Override
    public String toString() {
        return "Session(" + userId + ", " + role.wireName() + ", " + channel.id().asShortText() + ')';
    }
}
