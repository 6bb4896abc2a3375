package io.switchboard.gateway.chat;

import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.protocol.Envelope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Messages held in this node's memory for users who are offline or not reading (a pure store: it never writes to a
 * connection; {@link LocalDelivery} decides what is held and writes what is taken), bounded per user
 * ({@code maxPerUser}, oldest dropped first) and in total ({@code maxTotal}, new ones refused), each message for at
 * most {@code ttl}.
 *
 * <p>Order: every routed message takes a sequence number when it is routed ({@link #nextSeq()}), and a user's hold
 * is kept in that order, so a message whose live write failed goes back in its place, ahead of newer held ones.
 * Adding and taking are atomic per user ({@code ConcurrentHashMap.compute}); {@link #addIfPending} lets a delivery
 * queue behind what is held without racing the drain that takes it.
 *
 * <p>Durability: every message held and every one that leaves (dropped, expired, or handed back with
 * {@link #forget} once the caller has delivered it elsewhere) is written through to the {@link ChatStore}, which
 * puts them back ({@link #restore}) when the gateway starts again. A caller that promises a held message waits for
 * {@link ChatStore#flushed()}.
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class MemoryHold {

    /** A held message and its routing-order number, which also names it in the store. */
    public record Held(Envelope envelope, long seq, long expiresAtNanos) {}

    /**
     * One user's hold. {@code handingOver} while one caller hands it to the cluster ({@link #claimHandOver}): the
     * hold then stays in the map even when empty, so that what arrives meanwhile queues behind it.
     */
    private static final class Queue extends ArrayList<Held> {
        boolean handingOver;

        /** What {@code compute} should leave in the map: nothing for an empty hold nobody is handing over. */
        Queue orNull() {
            return isEmpty() && !handingOver ? null : this;
        }
    }
    private final GatewayMetrics metrics;
    private final ChatStore store;
    private final int maxPerUser;
    private final int maxTotal;
    private final long ttlNanos;
    private final LongSupplier nanoClock;
    /** Per-user holds, each sorted by {@code seq}; bounded by {@code maxPerUser}. */
    private final ConcurrentHashMap<String, Queue> queues = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicLong seq = new AtomicLong();

    /** A hold whose content ends with the process. */
    public MemoryHold(GatewayMetrics metrics, int maxPerUser, int maxTotal, long ttlNanos, LongSupplier nanoClock) {
        this(metrics, ChatStore.MEMORY, maxPerUser, maxTotal, ttlNanos, nanoClock);
    }

    /**
     * @param store     told of every message held and released
     * @param nanoClock {@code System::nanoTime} outside tests
     */
    public MemoryHold(GatewayMetrics metrics, ChatStore store, int maxPerUser, int maxTotal, long ttlNanos,
                      LongSupplier nanoClock) {
        this.metrics = metrics;
        this.store = store;
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
    public boolean has(String userId) {
        return queues.containsKey(userId);
    }

    /** Holds {@code envelope} in its place by {@code seq}; {@code false} if the total bound refused it. */
    public boolean add(String userId, Envelope envelope, long seq) {
        final boolean[] added = new boolean[1];
        final long now = nanoClock.getAsLong();
        queues.compute(userId, (id, queue) -> {
            final Queue q = queue != null ? queue : new Queue();
            added[0] = insert(id, q, envelope, seq, now);
            return q.orNull();
        });
        return added[0];
    }

    /**
     * Holds {@code envelope} only if something is already held for {@code userId}, so that it queues behind it;
     * returns {@code null} (nothing done) if nothing is, else {@code HELD} or {@code DROPPED}.
     */
    public Router.Delivery addIfPending(String userId, Envelope envelope, long seq) {
        final Router.Delivery[] outcome = new Router.Delivery[1];
        final long now = nanoClock.getAsLong();
        queues.computeIfPresent(userId, (id, queue) -> {
            outcome[0] = insert(id, queue, envelope, seq, now) ? Router.Delivery.HELD : Router.Delivery.DROPPED;
            return queue.orNull();
        });
        return outcome[0];
    }

    private boolean insert(String userId, List<Held> queue, Envelope envelope, long seq, long now) {
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
        store.held(new ChatStore.HeldMessage(userId, seq, envelope, System.currentTimeMillis() + ttlNanos / 1_000_000));
        if (queue.size() > maxPerUser) {
            store.released(queue.remove(0).seq);
            total.decrementAndGet();
            metrics.offlineDropped(1);
        }
        return true;
    }

    /**
     * Puts back the messages the store held when the gateway started, in their order, with what was left of their
     * TTL; expired ones are released. Call once, before any traffic.
     */
    public void restore(List<ChatStore.HeldMessage> messages) {
        final long nowMillis = System.currentTimeMillis();
        final long now = nanoClock.getAsLong();
        long maxId = 0;
        for (ChatStore.HeldMessage m : messages) {
            maxId = Math.max(maxId, m.id());
            final long left = m.expiresAtMillis() - nowMillis;
            if (left <= 0) {
                store.released(m.id());
                metrics.offlineExpired(1);
                continue;
            }
            final Queue queue = queues.computeIfAbsent(m.userId(), u -> new Queue());
            queue.add(new Held(m.envelope(), m.id(), now + Math.min(left * 1_000_000, ttlNanos)));
            total.incrementAndGet();
        }
        for (Queue queue : queues.values()) {
            queue.sort((a, b) -> Long.compare(a.seq, b.seq));
        }
        final long highest = maxId;
        seq.accumulateAndGet(highest, Math::max);
    }

    /**
     * Releases messages taken with {@link #takeAll} once the caller has them delivered or safely elsewhere (so that a
     * crash in between can only deliver them twice, never lose them).
     */
    public void forget(List<Held> taken) {
        for (Held h : taken) {
            store.released(h.seq);
        }
    }

    /**
     * Takes what is held for {@code userId}: the unexpired messages, oldest first (the expired ones are counted and
     * released). The store keeps the taken ones until the caller {@link #forget}s them. Takes nothing while the hold
     * is being handed over to the cluster ({@link #claimHandOver}).
     */
    public List<Held> takeAll(String userId) {
        final Queue[] taken = new Queue[1];
        queues.computeIfPresent(userId, (id, q) -> {
            if (q.handingOver) {
                return q; // its hand-over takes it, or gives it back (releaseHandOver) for the caller to drain
            }
            taken[0] = q;
            return null;
        });
        final Queue queue = taken[0];
        if (queue == null) {
            return List.of();
        }
        total.addAndGet(-queue.size());
        final long now = nanoClock.getAsLong();
        final List<Held> live = new ArrayList<>(queue.size());
        for (Held h : queue) {
            if (h.expiresAtNanos - now >= 0) {
                live.add(h);
            } else {
                store.released(h.seq);
            }
        }
        final int expired = queue.size() - live.size();
        if (expired > 0) {
            metrics.offlineExpired(expired);
        }
        return live;
    }

    /**
     * Claims the hand-over of {@code userId}'s hold to the cluster (creating an empty hold if there is none): returns
     * {@code true} if the caller is now the one to hand it over ({@link #peek}, pass each on, {@link #handedOver},
     * until that says it is done, or {@link #releaseHandOver}), {@code false} if another caller is doing it. While
     * claimed, the hold stays even when empty, so that {@link #addIfPending} queues behind it.
     */
    public boolean claimHandOver(String userId) {
        final boolean[] claimed = new boolean[1];
        queues.compute(userId, (id, queue) -> {
            final Queue q = queue != null ? queue : new Queue();
            claimed[0] = !q.handingOver;
            q.handingOver = true;
            return q;
        });
        return claimed[0];
    }

    /** What is held for {@code userId} now, oldest first, expired ones included ({@link #expired}); a copy. */
    public List<Held> peek(String userId) {
        final List<Held> copy = new ArrayList<>();
        queues.computeIfPresent(userId, (id, queue) -> {
            copy.addAll(queue);
            return queue;
        });
        return copy;
    }

    /** Whether {@code held} is past its TTL. */
    public boolean expired(Held held) {
        return held.expiresAtNanos - nanoClock.getAsLong() < 0;
    }

    /**
     * Ends one round of a claimed hand-over: {@code taken} (from {@link #peek}) is elsewhere now and leaves the hold.
     * Returns {@code true}, ending the claim, if nothing else arrived meanwhile; else another round is due.
     */
    public boolean handedOver(String userId, List<Held> taken) {
        final Set<Held> gone = Collections.newSetFromMap(new IdentityHashMap<>());
        gone.addAll(taken);
        final boolean[] done = {true};
        queues.computeIfPresent(userId, (id, queue) -> {
            final int before = queue.size();
            queue.removeIf(gone::contains);
            total.addAndGet(queue.size() - before);
            if (queue.isEmpty()) {
                return null;
            }
            done[0] = false;
            return queue;
        });
        forget(taken);
        return done[0];
    }

    /** Ends a claimed hand-over early (the user has a live connection here again): the hold stays for it. */
    public void releaseHandOver(String userId) {
        queues.computeIfPresent(userId, (id, queue) -> {
            queue.handingOver = false;
            return queue.orNull();
        });
    }

    /** Drops every held message past its TTL. Run periodically; O(held messages). */
    public void sweep() {
        final long now = nanoClock.getAsLong();
        for (String userId : queues.keySet()) {
            queues.computeIfPresent(userId, (id, queue) -> {
                final int before = queue.size();
                queue.removeIf(h -> {
                    if (h.expiresAtNanos - now < 0) {
                        store.released(h.seq);
                        return true;
                    }
                    return false;
                });
                final int expired = before - queue.size();
                if (expired > 0) {
                    total.addAndGet(-expired);
                    metrics.offlineExpired(expired);
                }
                return queue.orNull();
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
