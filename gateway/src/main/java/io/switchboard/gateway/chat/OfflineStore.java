package io.switchboard.gateway.chat;

import io.netty.channel.Channel;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Messages held for users who are offline or not reading, in arrival order, bounded per user ({@code maxPerUser},
 * oldest dropped first) and in total ({@code maxTotal}, new ones refused), each for at most {@code ttl}.
 *
 * <p>Holding and draining are atomic per user ({@code ConcurrentHashMap.compute}), and a hold re-checks whether the
 * user came back in the meantime; with the drain running on the recipient's event loop in the same task as its
 * registration, a message is never stranded in the hold while its recipient is connected, and held messages always
 * reach the connection before newer ones.
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class OfflineStore {

    private record Held(Envelope envelope, long expiresAtNanos) {}

    private final SessionRegistry registry;
    private final GatewayMetrics metrics;
    private final int maxPerUser;
    private final int maxTotal;
    private final long ttlNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, ArrayDeque<Held>> queues = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

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

    /** Whether anything is held for {@code userId}. */
    public boolean hasPending(String userId) {
        return queues.containsKey(userId);
    }

    /**
     * Holds {@code envelope} for {@code userId} unless the user is connected, writable and has nothing held, in which
     * case the envelope is written to it instead.
     */
    Router.Delivery holdOrDeliver(String userId, Envelope envelope) {
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
                queue = new ArrayDeque<>();
            }
            if (!append(queue, envelope, now)) {
                refused[0] = true;
            }
            return queue.isEmpty() ? null : queue;
        });
        if (live[0] != null) {
            live[0].channel().writeAndFlush(envelope).addListener(f -> {
                if (!f.isSuccess()) {
                    hold(userId, envelope);
                }
            });
            return Router.Delivery.LIVE;
        }
        return refused[0] ? Router.Delivery.DROPPED : Router.Delivery.HELD;
    }

    /** Holds {@code envelope} without trying to deliver it (a write to a live connection failed). */
    void hold(String userId, Envelope envelope) {
        final long now = nanoClock.getAsLong();
        queues.compute(userId, (id, queue) -> {
            final ArrayDeque<Held> q = queue != null ? queue : new ArrayDeque<>();
            append(q, envelope, now);
            return q.isEmpty() ? null : q;
        });
    }

    private boolean append(ArrayDeque<Held> queue, Envelope envelope, long now) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            metrics.offlineDropped(1);
            return false;
        }
        queue.addLast(new Held(envelope, now + ttlNanos));
        if (queue.size() > maxPerUser) {
            queue.pollFirst();
            total.decrementAndGet();
            metrics.offlineDropped(1);
        }
        return true;
    }

    /**
     * Writes everything held for the session's user to its channel, oldest first, and forgets it. Must run on the
     * session's event loop, in the same task that registered it or saw it become writable.
     *
     * @return how many messages were written
     */
    public int drainTo(Session session) {
        final Channel channel = session.channel();
        assert channel.eventLoop().inEventLoop();
        final ArrayDeque<Held> queue = queues.remove(session.userId());
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
                channel.write(h.envelope);
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
                int expired = 0;
                for (Iterator<Held> it = queue.iterator(); it.hasNext(); ) {
                    if (it.next().expiresAtNanos - now < 0) {
                        it.remove();
                        expired++;
                    } else {
                        break; // in arrival order, so the rest expire later
                    }
                }
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
