package io.switchboard.gateway.chat;

import io.netty.channel.Channel;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.MessageType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Acknowledged delivery on one gateway ({@code PROTOCOL.md} §5): each userId's sequence and the deliveries it has
 * not acknowledged yet. A delivery to an acknowledging connection takes the userId's next seq, is written through
 * to the {@link ChatStore}, and is written to the connection only once the store has it, so a seq a client has seen
 * is never given again, even after a crash. It stays here until the client acknowledges it (cumulatively, with
 * {@code ack}), and is sent again, with its seq, to the next acknowledging connection of that userId.
 *
 * <p>Bounds: as the offline hold, at most {@code maxPerUser} unacknowledged deliveries per userId without a
 * connection (past it the oldest are dropped, and the client sees the gap in the seqs), at most {@code maxTotal} in
 * all (a new delivery is refused), each for at most {@code ttl}. While the userId is connected, its deliveries in
 * flight are bounded by ten times {@code maxPerUser} instead (and by the slow-consumer close): a live client that
 * acknowledges a little late, or a store that commits a little late, must not see a gap.
 *
 * <p>A userId that connects without {@code ack=1} gets what it had not acknowledged like held messages, without
 * seq, once: its plain connection cannot acknowledge, so they count as acknowledged once written.
 *
 * <p>Thread-safe and non-blocking: each userId's log is guarded by its own monitor, held for a few collection
 * operations and non-blocking writes; the store is only ever handed changes.
 */
public final class AckLogs implements Acknowledgements {

    private final ChatStore store;
    private final Envelopes envelopes;
    private final GatewayMetrics metrics;
    private final int maxPerUser;
    private final int maxTotal;
    private final long ttlMillis;
    private final LongSupplier millisClock;
    /** How long a log with no session and nothing unacknowledged stays in memory (a durable store has the rest). */
    private static final long EVICT_AFTER_MILLIS = 60_000;

    private final ConcurrentHashMap<String, Log> logs = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private volatile MemoryHold hold;
    /** Delivers a {@code delivered} notice to an acknowledging sender; set once at wiring. */
    private volatile BiConsumer<String, Envelope> notices = (to, notice) -> { };
    /** Told when a session stopped taking deliveries (unwritable); set once at wiring. */
    private volatile Consumer<Session> blocked = session -> { };

    /**
     * One unacknowledged delivery. {@code routedAtNanos}: when the router handed over a {@code normal} for a connected
     * recipient, for the routing latency; 0 for the others (held, restored, notices), which are not timed.
     */
    private record Entry(long seq, Envelope envelope, boolean notifySender, long expiresAtMillis, long routedAtNanos) {}

    /** One userId's sequence and unacknowledged deliveries. Guarded by its own monitor. */
    private static final class Log {
        final String userId;
        long last;
        long acked;
        /** The highest seq the store has committed; only those are written to a connection. */
        long committed;
        final ArrayDeque<Entry> entries = new ArrayDeque<>();
        /** The acknowledging session deliveries are written to, or {@code null}. */
        Session session;
        /** The highest seq written to {@code session}. */
        long sent;
        /** Put away (no session, nothing unacknowledged, the sequence is in the store): use a fresh one. */
        boolean evicted;
        /** When it was last opened or left by a session. */
        long touchedMillis;
        /** The highest seq whose routing latency was recorded: a redelivery is not timed again. */
        long timed;

        Log(String userId, ChatStore.Sequence sequence) {
            this.userId = userId;
            this.last = sequence.last();
            this.acked = sequence.acked();
            this.committed = sequence.last();
        }

        ChatStore.Sequence sequence() {
            return new ChatStore.Sequence(last, acked);
        }
    }

    /**
     * @param millisClock {@code System::currentTimeMillis} outside tests
     */
    public AckLogs(ChatStore store, Envelopes envelopes, GatewayMetrics metrics, int maxPerUser, int maxTotal,
                   long ttlMillis, LongSupplier millisClock) {
        this.store = store;
        this.envelopes = envelopes;
        this.metrics = metrics;
        this.maxPerUser = maxPerUser;
        this.maxTotal = maxTotal;
        this.ttlMillis = ttlMillis;
        this.millisClock = millisClock;
    }

    /** Sets where {@code delivered} notices go (the router), once, while wiring; before any traffic. */
    /**
     * The hold whose messages for a userId go into its log before anything new (see {@link #absorbHeld}); set once at
     * wiring, before any traffic.
     */
    public void drawsFrom(MemoryHold hold) {
        this.hold = hold;
    }

    public void noticesTo(BiConsumer<String, Envelope> router) {
        this.notices = router;
    }

    /** Sets who is told of a session that stopped taking deliveries, once, while wiring. */
    public void onBlocked(Consumer<Session> watcher) {
        this.blocked = watcher;
    }

    /** Puts back what the store held at start: unacknowledged deliveries and their userIds' sequences. */
    public void restore(ChatStore.Contents contents) {
        contents.sequences().forEach((userId, sequence) -> logs.put(userId, new Log(userId, sequence)));
        final long now = millisClock.getAsLong();
        for (ChatStore.SequencedDelivery d : contents.deliveries()) {
            final Log log = logs.computeIfAbsent(d.userId(), u -> new Log(u, ChatStore.Sequence.NONE));
            if (d.expiresAtMillis() > now && d.seq() > log.acked) {
                log.entries.add(new Entry(d.seq(), d.envelope(), d.notifySender(), d.expiresAtMillis(), 0));
                total.incrementAndGet();
            }
        }
        for (Log log : logs.values()) {
            final List<Entry> sorted = new ArrayList<>(log.entries);
            sorted.sort((a, b) -> Long.compare(a.seq, b.seq));
            log.entries.clear();
            log.entries.addAll(sorted);
            log.last = Math.max(log.last, sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1).seq);
            log.committed = log.last;
        }
    }

    /**
     * Makes {@code userId}'s log ready (read from the store if it is not in memory); completes when it is. Call
     * before the session of an acknowledging connection is registered.
     */
    public CompletionStage<Void> open(String userId) {
        final Log known = logs.get(userId);
        if (known != null) {
            synchronized (known) {
                if (!known.evicted) {
                    known.touchedMillis = millisClock.getAsLong();
                    return Stages.done();
                }
            }
        }
        return store.sequence(userId).thenAccept(sequence -> {
            final Log log = logs.compute(userId, (u, current) -> current != null && !current.evicted
                                                                  ? current : new Log(u, sequence));
            synchronized (log) {
                log.touchedMillis = millisClock.getAsLong();
            }
        });
    }

    /**
     * Whether {@code userId} acknowledges (has a sequence): a {@code normal} it sent earns it a {@code delivered}
     * notice when its recipient acknowledges.
     */
    public boolean acknowledges(String userId) {
        return logs.containsKey(userId);
    }

    /**
     * Delivers {@code envelope} to the acknowledging {@code session}: gives it the next seq, and writes it once the
     * store has it. Completes then with {@code LIVE} (or {@code HELD} if the session went away meanwhile; the
     * delivery waits for the next connection), or at once with {@code DROPPED} if the total bound refuses it.
     * Returns {@code null} if the session has ended and its log was put away: hold the message as for an offline
     * user.
     */
    public CompletionStage<Router.Delivery> deliver(Session session, Envelope envelope) {
        final Log log = logs.get(session.userId());
        if (log == null) {
            // The session ended and its log was put away meanwhile: the caller holds the message instead.
            return null;
        }
        final long seq;
        synchronized (log) {
            if (log.evicted) {
                return null;
            }
            // What waited in the hold goes first, whichever thread gets here first (see absorbHeld).
            absorbHeldLocked(log);
            if (total.incrementAndGet() > maxTotal) {
                total.decrementAndGet();
                metrics.offlineDropped(1);
                return Router.Delivery.DROPPED.asStage();
            }
            seq = sequenceLocked(log, envelope);
        }
        return store.flushed().thenApply(ignored -> committed(log, seq));
    }

    /**
     * Moves what the hold kept for {@code session}'s userId (offline, or before its log existed, or restored at start)
     * into its log, in order, each with the next seq; the same happens before any new delivery to it, under the same
     * monitor, so a delivery racing with the connection's drain can never take a seq ahead of older held messages.
     * Returns how many were moved, or -1 if the session ended and its log was put away (they stay in the hold).
     */
    public int absorbHeld(Session session) {
        final Log log = logs.get(session.userId());
        if (log == null) {
            return -1;
        }
        final int moved;
        final long last;
        synchronized (log) {
            if (log.evicted) {
                return -1;
            }
            moved = absorbHeldLocked(log);
            last = log.last;
        }
        if (moved > 0) {
            store.flushed().thenApply(ignored -> committed(log, last));
        }
        return moved;
    }

    /** Under the log's monitor: takes the hold's messages for the log's userId into the log. */
    private int absorbHeldLocked(Log log) {
        if (hold == null || !hold.has(log.userId)) {
            return 0;
        }
        final List<MemoryHold.Held> held = hold.takeAll(log.userId);
        for (MemoryHold.Held h : held) {
            total.incrementAndGet();
            sequenceLocked(log, h.envelope());
        }
        hold.forget(held);
        metrics.offlineDelivered(held.size());
        return held.size();
    }

    /** Under the log's monitor: gives {@code envelope} the next seq and appends it; returns the seq. */
    private long sequenceLocked(Log log, Envelope envelope) {
        final boolean normal = MessageType.NORMAL.wireName().equals(envelope.type());
        final boolean notify = normal && envelope.from() != null && acknowledges(envelope.from());
        final long routedAtNanos = normal && log.session != null ? System.nanoTime() : 0;
        final long seq = ++log.last;
        final Entry entry = new Entry(seq, envelope.withSeq(Long.toString(seq)), notify,
                                      millisClock.getAsLong() + ttlMillis, routedAtNanos);
        log.entries.addLast(entry);
        store.sequenced(new ChatStore.SequencedDelivery(log.userId, seq, entry.envelope, notify,
                                                        entry.expiresAtMillis));
        trimToBound(log, log.session == null ? maxPerUser : liveCap());
        return seq;
    }

    private Router.Delivery committed(Log log, long seq) {
        final Session target;
        synchronized (log) {
            log.committed = Math.max(log.committed, seq);
            target = log.session;
        }
        if (target == null) {
            return Router.Delivery.HELD;
        }
        target.channel().eventLoop().execute(() -> pump(target));
        return Router.Delivery.LIVE;
    }

    /**
     * The most unacknowledged deliveries a connected userId may have: its connection being live, the offline bound
     * does not apply (it does again when it disconnects); this cap only keeps a client that never acknowledges from
     * growing its log without end.
     */
    private int liveCap() {
        return (int) Math.min(Integer.MAX_VALUE, 10L * maxPerUser);
    }

    /**
     * Drops the oldest unacknowledged deliveries past {@code bound}; the client sees the gap. Holds the log's
     * monitor.
     */
    private void trimToBound(Log log, int bound) {
        long upTo = -1;
        int dropped = 0;
        while (log.entries.size() > bound) {
            upTo = log.entries.pollFirst().seq;
            dropped++;
        }
        if (dropped > 0) {
            total.addAndGet(-dropped);
            metrics.offlineDropped(dropped);
            store.acknowledged(log.userId, upTo, log.sequence());
        }
    }

    /**
     * Attaches a freshly registered acknowledging session: applies its {@code since} (which acknowledges up to it),
     * then sends every unacknowledged delivery above it in seq order. Must run on the session's loop, after
     * {@link #open}.
     */
    public void attach(Session session) {
        List<Entry> acknowledgedBySince = List.of();
        final Log log = logs.get(session.userId());
        if (log == null) {
            // Put away since open ran, which the eviction delay rules out short of a minute-long stall: a guessed
            // sequence could give a seq the client has seen again, so refuse the connection instead.
            session.channel().close();
            return;
        }
        synchronized (log) {
            final long since = session.since();
            if (since > log.last) {
                // The client has seen seqs this gateway no longer knows (its data was lost): continue above them,
                // so that no seq it has processed is ever given to another message.
                log.last = since;
                log.committed = since;
            }
            if (since != ConnectionIdentity.NO_SINCE) {
                acknowledgedBySince = trim(log, since);
            }
            dropExpired(log);
            log.session = session;
            log.sent = since != ConnectionIdentity.NO_SINCE ? since : log.acked;
            int again = 0;
            for (Entry e : log.entries) {
                again += e.seq > log.sent ? 1 : 0;
            }
            metrics.redelivered(again);
        }
        notifySenders(session.userId(), acknowledgedBySince);
        pump(session);
    }

    /** The session ended: deliveries wait for the next connection. */
    public void detach(Session session) {
        final Log log = logs.get(session.userId());
        if (log == null) {
            return;
        }
        synchronized (log) {
            if (log.session == session) {
                log.session = null;
                trimToBound(log, maxPerUser);
            }
            log.touchedMillis = millisClock.getAsLong();
        }
    }

    /**
     * With a durable store, forgets a log that has had no session and nothing unacknowledged for a while: its
     * sequence is in the store, and {@link #open} reads it back. (Only after a while: a connection that opened it is
     * about to attach.) Without a durable store the log must stay, or the sequence would start again at 1. Holds the
     * log's monitor.
     */
    private void evictIfIdle(Log log, long now) {
        if (store.durable() && log.session == null && log.entries.isEmpty() && !log.evicted
            && now - log.touchedMillis >= EVICT_AFTER_MILLIS) {
            log.evicted = true;
            logs.remove(log.userId, log);
        }
    }

    /**
     * Writes what {@code session} has not been sent yet, in seq order, while it is writable (what is left goes once
     * it is writable again). Must run on the session's loop.
     */
    public void pump(Session session) {
        final Log log = logs.get(session.userId());
        if (log == null) {
            return;
        }
        final Channel channel = session.channel();
        int written = 0;
        boolean unwritable = false;
        synchronized (log) {
            if (log.session != session) {
                return;
            }
            for (Entry e : log.entries) {
                if (e.seq <= log.sent) {
                    continue;
                }
                if (e.seq > log.committed) {
                    break;
                }
                if (!channel.isWritable()) {
                    unwritable = true;
                    break;
                }
                // Marked sent before the write, so that nothing the write sets off on this thread writes it again.
                log.sent = e.seq;
                channel.write(e.envelope, channel.voidPromise());
                written++;
                if (e.routedAtNanos != 0 && e.seq > log.timed) {
                    // As LocalDelivery times a live write, the dashboard's routing latency covers these too; here
                    // it includes the wait for the store, which the delivery needs before it may be written.
                    log.timed = e.seq;
                    metrics.routingLatency(System.nanoTime() - e.routedAtNanos);
                }
            }
        }
        if (written > 0) {
            channel.flush();
        }
        if (unwritable) {
            blocked.accept(session);
        }
    }

    @Override
    public boolean acknowledge(Session session, long upTo) {
        final Log log = logs.get(session.userId());
        if (log == null) {
            return false;
        }
        final List<Entry> done;
        synchronized (log) {
            if (log.session != session || upTo > log.sent) {
                return false;
            }
            done = trim(log, upTo);
        }
        notifySenders(session.userId(), done);
        return true;
    }

    /** Acknowledged {@code normal}s of acknowledging senders earn them a {@code delivered} notice. */
    private void notifySenders(String userId, List<Entry> done) {
        for (Entry e : done) {
            if (e.notifySender) {
                final Envelope d = e.envelope;
                notices.accept(d.from(), envelopes.delivered(d.msgId(), userId, d.from(), e.seq));
            }
        }
    }

    /** Removes the deliveries up to {@code upTo} and records the ack; returns them. Holds the log's monitor. */
    private List<Entry> trim(Log log, long upTo) {
        if (upTo <= log.acked) {
            return List.of();
        }
        final List<Entry> done = new ArrayList<>();
        while (!log.entries.isEmpty() && log.entries.peekFirst().seq <= upTo) {
            done.add(log.entries.pollFirst());
        }
        total.addAndGet(-done.size());
        log.acked = upTo;
        store.acknowledged(log.userId, upTo, log.sequence());
        return done;
    }

    private void dropExpired(Log log) {
        final long now = millisClock.getAsLong();
        long upTo = -1;
        int expired = 0;
        while (!log.entries.isEmpty() && log.entries.peekFirst().expiresAtMillis <= now) {
            upTo = log.entries.pollFirst().seq;
            expired++;
        }
        if (expired > 0) {
            total.addAndGet(-expired);
            metrics.offlineExpired(expired);
            store.acknowledged(log.userId, upTo, log.sequence());
        }
    }

    /**
     * A plain connection of {@code userId} is taking over: takes every unacknowledged delivery, without its seq, to
     * be written like held messages, and counts them as acknowledged. Oldest first.
     */
    public List<Envelope> takeForPlain(String userId) {
        final Log log = logs.get(userId);
        if (log == null) {
            return List.of();
        }
        synchronized (log) {
            log.session = null;
            dropExpired(log);
            if (log.entries.isEmpty()) {
                return List.of();
            }
            final List<Envelope> out = new ArrayList<>(log.entries.size());
            for (Entry e : log.entries) {
                out.add(e.envelope.withSeq(null));
            }
            trim(log, log.last);
            return out;
        }
    }

    /** Drops expired deliveries of every userId without a connection. Run periodically. */
    public void sweep() {
        final long now = millisClock.getAsLong();
        for (Log log : logs.values()) {
            synchronized (log) {
                if (log.session == null) {
                    dropExpired(log);
                    evictIfIdle(log, now);
                }
            }
        }
    }

    /** Unacknowledged deliveries, all userIds. */
    public int size() {
        return total.get();
    }

    /** The last seq given to {@code userId}, or 0. */
    public long lastSeq(String userId) {
        final Log log = logs.get(userId);
        if (log == null) {
            return 0;
        }
        synchronized (log) {
            return log.last;
        }
    }
}
