package io.switchboard.gateway.chat;

import io.netty.channel.Channel;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.MessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Messages held for users who are offline or not reading, bounded per user ({@code maxPerUser}, oldest dropped
 * first) and in total ({@code maxTotal}, new ones refused), each for at most {@code ttl}.
 *
 * <p>Order: every routed message takes a sequence number when it is routed ({@link #nextSeq()}), and a user's hold
 * is kept in that order. A message whose live write failed (its connection died under it) goes back in its place,
 * ahead of newer held messages, so the recipient still gets everything in the order it was sent.
 *
 * <p>Holding and draining are atomic per user ({@code ConcurrentHashMap.compute}), and a hold re-checks whether the
 * user came back in the meantime; with the drain running on the recipient's event loop in the same task as its
 * registration, a message is never stranded while its recipient is connected, and held messages reach the
 * connection before newer ones.
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class OfflineStore {

    private static final String NORMAL = MessageType.NORMAL.wireName();

    private record Held(Envelope envelope, long seq, long expiresAtNanos) {}

    private final SessionRegistry registry;
    private final GatewayMetrics metrics;
    private final int maxPerUser;
    private final int maxTotal;
    private final long ttlNanos;
    private final LongSupplier nanoClock;
    /** Per-user holds, each sorted by {@code seq}; bounded by {@code maxPerUser}. */
    private final ConcurrentHashMap<String, List<Held>> queues = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicLong seq = new AtomicLong();

    /**
     * @param nanoClock {@code System::nanoTime} outside tests
     */
    public OfflineStore(SessionRegistry registry, GatewayMetrics metrics, int maxPerUser, int maxTotal,
                        long ttlNanos, LongSupplier nanoClock) {
        this.registry = registry;
        this.metrics = metrics;
        this.maxPerUser = maxPerUser;
        this.maxTotal = maxTotal;
        this.ttlNanos = ttlNanos;
        this.nanoClock = nanoClock;
    }

    /** The routing-order number of a message routed now. */
    public long nextSeq() {
        return seq.incrementAndGet();
    }

    /** Whether anything is held for {@code userId}. */
    public boolean hasPending(String userId) {
        return queues.containsKey(userId);
    }

    /**
     * Holds {@code envelope} for {@code userId} unless the user is connected, writable and has nothing held, in which
     * case the envelope is written to it instead; a failed write then holds it in its place.
     */
    Router.Delivery holdOrDeliver(String userId, Envelope envelope, long seq) {
        final Session[] live = new Session[1];
        final boolean[] refused = new boolean[1];
        final long now = nanoClock.getAsLong();
        queues.compute(userId, (id, queue) -> {
            if (queue == null) {
                final Session s = registry.find(id);
                if (s != null && s.channel().isWritable()) {
                    live[0] = s;
                    return null;
                }
                queue = new ArrayList<>();
            }
            if (!insert(queue, envelope, seq, now)) {
                refused[0] = true;
            }
            return queue.isEmpty() ? null : queue;
        });
        if (live[0] != null) {
            writeOrHold(live[0].channel(), envelope, userId, envelope, seq);
            return Router.Delivery.LIVE;
        }
        return refused[0] ? Router.Delivery.DROPPED : Router.Delivery.HELD;
    }

    /**
     * Writes {@code message} (the envelope, or its pre-encoded frame) and flushes; if the write fails, the envelope
     * is held in its place. Records the routing latency of a delivered {@code normal}.
     */
    void writeOrHold(Channel channel, Object message, String userId, Envelope envelope, long seq) {
        // The start time rides in the listener the write needs anyway: timing adds no allocation.
        final long start = System.nanoTime();
        channel.writeAndFlush(message).addListener(f -> {
            if (!f.isSuccess()) {
                rehold(userId, envelope, seq);
            } else if (NORMAL.equals(envelope.type())) {
                metrics.routingLatency(System.nanoTime() - start);
            }
        });
    }


    /** Holds a message whose write failed, in its place, and drains to a connection the user may have now. */
    void rehold(String userId, Envelope envelope, long seq) {
        final long now = nanoClock.getAsLong();
        queues.compute(userId, (id, queue) -> {
            final List<Held> q = queue != null ? queue : new ArrayList<>();
            insert(q, envelope, seq, now);
            return q.isEmpty() ? null : q;
        });
        // A replacement may already be connected and writable; without this the hold would wait for its next
        // writability change or reconnect, and every newer message would queue behind it.
        final Session current = registry.find(userId);
        if (current != null) {
            current.channel().eventLoop().execute(() -> drainIfCurrent(current));
        }
    }

    /** Drains to {@code session} if it is still the user's live, writable session. Must run on its loop. */
    void drainIfCurrent(Session session) {
        if (session.channel().isWritable() && registry.find(session.userId()) == session) {
            drainTo(session);
        }
    }

    private boolean insert(List<Held> queue, Envelope envelope, long seq, long now) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            metrics.offlineDropped(1);
            return false;
        }
        // Nearly always the newest: scan from the end.
        int i = queue.size();
        while (i > 0 && queue.get(i - 1).seq > seq) {
            i--;
        }
        queue.add(i, new Held(envelope, seq, now + ttlNanos));
        if (queue.size() > maxPerUser) {
            queue.remove(0);
            total.decrementAndGet();
            metrics.offlineDropped(1);
        }
        return true;
    }

    /**
     * Writes everything held for the session's user to its channel, oldest first, and forgets it; a write that
     * fails holds its message again. Must run on the session's event loop, in the same task that registered it or
     * saw it become writable.
     *
     * @return how many messages were written
     */
    public int drainTo(Session session) {
        final Channel channel = session.channel();
        assert channel.eventLoop().inEventLoop();
        final String userId = session.userId();
        final List<Held> queue = queues.remove(userId);
        if (queue == null) {
            return 0;
        }
        total.addAndGet(-queue.size());
        final long now = nanoClock.getAsLong();
        int written = 0;
        int expired = 0;
        for (Held h : queue) {
            if (h.expiresAtNanos - now < 0) {
                expired++;
            } else {
                channel.write(h.envelope).addListener(f -> {
                    if (!f.isSuccess()) {
                        rehold(userId, h.envelope, h.seq);
                    }
                });
                written++;
            }
        }
        channel.flush();
        if (expired > 0) {
            metrics.offlineExpired(expired);
        }
        if (written > 0) {
            metrics.offlineDelivered(written);
        }
        return written;
    }

    /** Drops every held message past its TTL. Run periodically; O(held messages). */
    public void sweep() {
        final long now = nanoClock.getAsLong();
        for (String userId : queues.keySet()) {
            queues.computeIfPresent(userId, (id, queue) -> {
                final int before = queue.size();
                queue.removeIf(h -> h.expiresAtNanos - now < 0);
                final int expired = before - queue.size();
                if (expired > 0) {
                    total.addAndGet(-expired);
                    metrics.offlineExpired(expired);
                }
                return queue.isEmpty() ? null : queue;
            });
        }
    }

    /** Messages held for all users. */
    public int size() {
        return total.get();
    }

    /** Messages held for {@code userId}. */
    public int size(String userId) {
        final int[] n = new int[1];
        queues.computeIfPresent(userId, (id, q) -> {
            n[0] = q.size();
            return q;
        });
        return n[0];
    }
}
