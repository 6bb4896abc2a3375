package io.switchboard.gateway.chat;

import static java.util.Objects.requireNonNull;

import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.protocol.Failure;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-node {@link MatchService}. The hot-path question "is this user paired with that agent" is a lock-free
 * map read; compound changes (match, unpair, agent online/offline) take one short lock that does no I/O, so no
 * agent ever exceeds its capacity. Available agents are kept ordered by load, so a match is O(log agents).
 *
 * <p>Pairings are written through to the {@link ChatStore} and put back at start ({@link #restore}); a new pairing is
 * answered once the store has it.
 *
 * <p>The waiting queue ({@code PROTOCOL.md} §6) lives under the same lock, so a freed agent and the head of the queue
 * meet in one step: FIFO, no user matched twice. What the queue does on its own is told to the {@link QueueListener}
 * in order, outside the lock.
 *
 * <p>Thread-safe and non-blocking (the lock is held for a few map operations): safe to call from an event loop.
 */
public final class InMemoryMatchService implements MatchService {

    private static final Logger logger = LoggerFactory.getLogger(InMemoryMatchService.class);

    private static final Comparator<Agent> LEAST_LOADED =
            Comparator.<Agent>comparingInt(a -> a.load).thenComparingLong(a -> a.seq);

    private static final CompletionStage<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    private static final CompletionStage<Boolean> FALSE = CompletableFuture.completedFuture(Boolean.FALSE);

    private final int capacity;
    private final ChatStore store;
    private final int queueMax;
    private final long queueTimeoutMillis;
    private final LongSupplier clockMillis;
    /** Waiting users by ticket: the head has the lowest (those sent back to the head get negative ones). */
    private final TreeMap<Long, Wait> queue = new TreeMap<>();
    /** Guarded by {@code this}. */
    private final Map<String, Wait> waits = new HashMap<>();
    /** Users who asked to wait in their current conversation: sent back to the head if their agent is gone. */
    private final Set<String> queueing = new HashSet<>();
    private long tailTicket;
    private long headTicket;
    /** What the queue did, in order, for the listener; appended under the lock, told outside it. */
    private final ArrayDeque<Notice> outbox = new ArrayDeque<>();
    private final AtomicBoolean telling = new AtomicBoolean();
    /** Where the notices are told: one thread at a time, in order (see {@link #tell}). */
    private final Executor teller;
    private volatile QueueListener listener = QueueListener.NONE;
    /** userId to agentId; written under the lock, read without it. */
    private final ConcurrentHashMap<String, String> agentOfUser = new ConcurrentHashMap<>();
    /** Guarded by {@code this}. */
    private final Map<String, Agent> agents = new HashMap<>();
    /** Online agents below capacity, least loaded first. Guarded by {@code this}. */
    private final TreeSet<Agent> available = new TreeSet<>(LEAST_LOADED);
    private long nextSeq;

    /**
     * One entry of the notice order: what to tell, and the stage it waits for (a change that must be in the data file
     * before anyone hears of it), or {@code null}. Nothing behind an entry is told before it.
     */
    private record Notice(Consumer<QueueListener> tell, CompletionStage<?> gate) {}

    /** A waiting user; only touched under the lock. */
    private static final class Wait {
        final String userId;
        final long ticket;
        final long sinceMillis;
        int toldPosition;

        Wait(String userId, long ticket, long sinceMillis) {
            this.userId = userId;
            this.ticket = ticket;
            this.sinceMillis = sinceMillis;
        }
    }

    /** An agent's mutable state; only touched under the lock. */
    private static final class Agent {
        final String id;
        final long seq;
        final Set<String> users = new LinkedHashSet<>();
        int load;
        boolean online;
        boolean away;

        Agent(String id, long seq) {
            this.id = id;
            this.seq = seq;
        }
    }

    /**
     * @param capacity the most users one agent serves at once
     */
    public InMemoryMatchService(int capacity) {
        this(capacity, ChatStore.MEMORY);
    }

    /**
     * @param capacity the most users one agent serves at once
     * @param store    told of every pairing made and ended
     */
    public InMemoryMatchService(int capacity, ChatStore store) {
        this(capacity, store, GatewayConfig.Chat.DEFAULT_QUEUE_MAX,
             GatewayConfig.Chat.DEFAULT_QUEUE_TIMEOUT.toMillis(), System::currentTimeMillis);
    }

    /**
     * @param capacity           the most users one agent serves at once
     * @param store              told of every pairing made and ended
     * @param queueMax           the most users waiting at once (0: no queue)
     * @param queueTimeoutMillis the longest wait
     * @param clockMillis        the wall clock of waits
     */
    public InMemoryMatchService(int capacity, ChatStore store, int queueMax, long queueTimeoutMillis,
                                LongSupplier clockMillis) {
        this(capacity, store, queueMax, queueTimeoutMillis, clockMillis, Runnable::run);
    }

    /**
     * @param teller where the notices are told, in order: a thread of their own in a gateway (so that every notice
     *               reaches its connection as a task of that connection's loop, in the order they were told), or
     *               {@code Runnable::run} (the calling thread; tests)
     */
    public InMemoryMatchService(int capacity, ChatStore store, int queueMax, long queueTimeoutMillis,
                                LongSupplier clockMillis, Executor teller) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        }
        this.capacity = capacity;
        this.store = store;
        this.queueMax = queueMax;
        this.queueTimeoutMillis = queueTimeoutMillis;
        this.clockMillis = clockMillis;
        this.teller = requireNonNull(teller, "teller");
    }

    /**
     * Puts back the pairings the store held at start; their agents are offline until they connect (and are released
     * like any disconnected agent if they do not). Call once, before any traffic.
     */
    public synchronized void restore(Map<String, String> agentOfUserStored) {
        agentOfUserStored.forEach((user, agentId) -> {
            final Agent agent = agents.computeIfAbsent(agentId, id -> new Agent(id, nextSeq++));
            agent.users.add(user);
            agent.load++;
            agentOfUser.put(user, agentId);
        });
    }

    @Override
    public CompletionStage<MatchResult> match(String userId) {
        return match(userId, false);
    }

    @Override
    public CompletionStage<MatchResult> match(String userId, boolean queue) {
        return match(userId, queue, ignored -> { });
    }

    @Override
    public CompletionStage<MatchResult> match(String userId, boolean queue, Consumer<MatchResult> notice) {
        final CompletableFuture<MatchResult> told = new CompletableFuture<>();
        final MatchResult result;
        synchronized (this) {
            result = matchNow(userId, queue);
            // In the notice order: a queued user's answer before its position changes, the agent's match before
            // anything later about this pairing.
            // A new pairing is told once it is in the data file, and nothing after it before that.
            add(l -> {
                notice.accept(result);
                told.complete(result);
            }, result.isNew() ? durable() : null, told);
        }
        tell();
        return told;
    }

    /** The stage a change waits for before it is told: the data file's commit, or {@code null} without one. */
    private CompletionStage<Void> durable() {
        return store.durable() ? store.flushed() : null;
    }

    /**
     * Appends to the notice order; {@code failed} (if any) completes exceptionally instead when the gate fails, and
     * nothing is told for it. Under the lock.
     */
    private void add(Consumer<QueueListener> tell, CompletionStage<?> gate, CompletableFuture<?> failed) {
        outbox.add(new Notice(l -> {
            if (gate != null) {
                final Throwable error = gate.toCompletableFuture().handle((v, e) -> e).join();
                if (error != null) {
                    if (failed != null) {
                        failed.completeExceptionally(error);
                    }
                    return;
                }
            }
            tell.accept(l);
        }, gate));
    }

    /**
     * Completes {@code done} in the notice order after {@code notice}: appended under the lock, so at the place of the
     * change just made. Under the lock.
     */
    private <T> CompletableFuture<T> inOrderLocked(Runnable notice, T value) {
        return inOrderLocked(notice, value, null);
    }

    /** As {@link #inOrderLocked(Runnable, Object)}, told only once {@code gate} completes. Under the lock. */
    private <T> CompletableFuture<T> inOrderLocked(Runnable notice, T value, CompletionStage<?> gate) {
        final CompletableFuture<T> done = new CompletableFuture<>();
        add(l -> {
            notice.run();
            done.complete(value);
        }, gate, done);
        return done;
    }

    /** The synchronous form of {@link #match(String)}. */
    public MatchResult matchNow(String userId) {
        final MatchResult result;
        synchronized (this) {
            result = matchNow(userId, false);
        }
        tell();
        return result;
    }

    private MatchResult matchNow(String userId, boolean queue) {
        final String current = agentOfUser.get(userId);
        if (current != null) {
            return new MatchResult(current, false);
        }
        synchronized (this) {
            final String again = agentOfUser.get(userId);
            if (again != null) {
                return new MatchResult(again, false);
            }
            final Wait waiting = waits.get(userId);
            if (waiting != null) {
                return MatchResult.queued(waiting.toldPosition);
            }
            serveLocked(); // those waiting go first
            final Agent agent = leastLoadedOtherThan(userId);
            if (agent == null) {
                if (!queue) {
                    return MatchResult.NO_AGENT;
                }
                if (waits.size() >= queueMax) {
                    return MatchResult.QUEUE_FULL;
                }
                final Wait wait = new Wait(userId, ++tailTicket, clockMillis.getAsLong());
                enqueueLocked(wait);
                queueing.add(userId);
                wait.toldPosition = waits.size();
                return new MatchResult(null, true, wait.toldPosition);
            }
            if (queue) {
                queueing.add(userId);
            }
            pairLocked(userId, agent);
            return new MatchResult(agent.id, true);
        }
    }

    private void enqueueLocked(Wait wait) {
        queue.put(wait.ticket, wait);
        waits.put(wait.userId, wait);
        store.queued(new ChatStore.StoredWait(wait.userId, wait.ticket, wait.sinceMillis));
    }

    /**
     * Puts back the queue the store held at start, in ticket order; those users have the reconnect grace period to
     * come back. Call once, before any traffic.
     */
    public synchronized void restoreQueue(List<ChatStore.StoredWait> stored) {
        final List<ChatStore.StoredWait> sorted = new ArrayList<>(stored);
        sorted.sort(Comparator.comparingLong(ChatStore.StoredWait::ticket));
        int position = 0;
        for (ChatStore.StoredWait w : sorted) {
            final Wait wait = new Wait(w.userId(), w.ticket(), w.sinceMillis());
            wait.toldPosition = ++position;
            queue.put(wait.ticket, wait);
            waits.put(wait.userId, wait);
            queueing.add(wait.userId);
            tailTicket = Math.max(tailTicket, wait.ticket);
            headTicket = Math.min(headTicket, wait.ticket);
        }
    }

    /** Pairs {@code userId} with {@code agent}, taken from {@code available}. Under the lock. */
    private void pairLocked(String userId, Agent agent) {
        agent.load++;
        agent.users.add(userId);
        agentOfUser.put(userId, agent.id);
        store.paired(userId, agent.id);
        if (agent.load < capacity) {
            available.add(agent);
        }
    }

    /** Matches the head of the queue while agents have capacity, then tells every changed position. Under the lock. */
    private void serveLocked() {
        while (!queue.isEmpty() && !available.isEmpty()) {
            final Wait head = queue.firstEntry().getValue();
            final Agent agent = leastLoadedOtherThan(head.userId);
            if (agent == null) {
                break; // the only agent with room is the head's own id (an agent connection of it): it waits
            }
            queue.pollFirstEntry();
            waits.remove(head.userId);
            store.dequeued(head.userId);
            pairLocked(head.userId, agent);
            final long waited = clockMillis.getAsLong() - head.sinceMillis;
            add(l -> l.matched(head.userId, agent.id, waited), null, null);
        }
        int position = 0;
        for (Wait wait : queue.values()) {
            final int now = ++position;
            if (wait.toldPosition != now) {
                wait.toldPosition = now;
                add(l -> l.moved(wait.userId, now), null, null);
            }
        }
    }

    /**
     * Tells the listener what the queue did, in order, outside the lock; one thread at a time, so two callers
     * cannot tell one user's positions out of order.
     */
    private void tell() {
        synchronized (this) {
            if (outbox.isEmpty()) {
                return;
            }
        }
        if (telling.compareAndSet(false, true)) {
            teller.execute(this::drain);
        } // else the one telling now takes what we added
    }

    /** Tells what is in the outbox, in order, until it is empty or its head waits for its gate. */
    private void drain() {
        CompletionStage<?> waitingFor = null;
        try {
            while (true) {
                final Notice next;
                synchronized (this) {
                    next = outbox.peek();
                    if (next == null) {
                        break;
                    }
                    if (next.gate() != null && !next.gate().toCompletableFuture().isDone()) {
                        waitingFor = next.gate();
                        break;
                    }
                    outbox.poll();
                }
                try {
                    next.tell().accept(listener);
                } catch (RuntimeException e) {
                    logger.warn("Queue listener failed: {}", e.toString());
                }
            }
        } finally {
            telling.set(false);
        }
        if (waitingFor != null) {
            waitingFor.whenComplete((v, e) -> tell());
        } else {
            tell(); // anything added after our last look
        }
    }

    @Override
    public CompletionStage<Void> serveQueue() {
        synchronized (this) {
            serveLocked();
        }
        tell();
        return Stages.done();
    }

    @Override
    public CompletionStage<Long> leaveQueue(String userId) {
        return leaveQueue(userId, waited -> { });
    }

    @Override
    public CompletionStage<Long> leaveQueue(String userId, java.util.function.LongConsumer notice) {
        final CompletableFuture<Long> told;
        synchronized (this) {
            long waited = -1;
            final Wait wait = waits.remove(userId);
            if (wait != null) {
                queue.remove(wait.ticket);
                queueing.remove(userId);
                store.dequeued(userId);
                waited = Math.max(0, clockMillis.getAsLong() - wait.sinceMillis);
            }
            // Answered after every notice already due (its match, if it was matched a moment ago), and before the
            // positions of those behind it change.
            final long result = waited;
            told = inOrderLocked(() -> notice.accept(result), waited);
            if (wait != null) {
                serveLocked();
            }
        }
        tell();
        return told;
    }

    @Override
    public synchronized CompletionStage<Integer> queuePosition(String userId) {
        final Wait wait = waits.get(userId);
        return CompletableFuture.completedFuture(wait == null ? 0 : wait.toldPosition);
    }

    @Override
    public CompletionStage<Void> expireQueue() {
        synchronized (this) {
            final long now = clockMillis.getAsLong();
            boolean changed = false;
            for (final Iterator<Wait> it = queue.values().iterator(); it.hasNext(); ) {
                final Wait wait = it.next();
                final long waited = now - wait.sinceMillis;
                if (waited >= queueTimeoutMillis) {
                    it.remove();
                    waits.remove(wait.userId);
                    queueing.remove(wait.userId);
                    store.dequeued(wait.userId);
                    add(l -> l.expired(wait.userId, waited), null, null);
                    changed = true;
                }
            }
            if (changed) {
                serveLocked();
            }
        }
        tell();
        return Stages.done();
    }

    @Override
    public synchronized CompletionStage<List<Waiting>> waiting() {
        final List<Waiting> list = new ArrayList<>(queue.size());
        int position = 0;
        for (Wait wait : queue.values()) {
            list.add(new Waiting(wait.userId, ++position, wait.sinceMillis));
        }
        return CompletableFuture.completedFuture(list);
    }

    @Override
    public synchronized int waitingCount() {
        return waits.size();
    }

    @Override
    public void setQueueListener(QueueListener listener) {
        this.listener = requireNonNull(listener, "listener");
    }

    @Override
    public CompletionStage<Boolean> setAvailable(String agentId, boolean isAvailable) {
        return setAvailable(agentId, isAvailable, () -> { });
    }

    @Override
    public CompletionStage<Boolean> setAvailable(String agentId, boolean isAvailable, Runnable notice) {
        final CompletableFuture<Boolean> told;
        synchronized (this) {
            final Agent agent = agents.get(agentId);
            if (agent == null || !agent.online) {
                return FALSE;
            }
            if (agent.away == isAvailable) {
                available.remove(agent);
                agent.away = !isAvailable;
                if (isAvailable && agent.load < capacity) {
                    available.add(agent);
                }
            }
            told = inOrderLocked(notice, Boolean.TRUE);
        }
        tell();
        return told;
    }

    @Override
    public CompletionStage<Transfer> transfer(String userId, String fromAgentId, String toAgentId) {
        return transfer(userId, fromAgentId, toAgentId, t -> { });
    }

    @Override
    public CompletionStage<Transfer> transfer(String userId, String fromAgentId, String toAgentId,
                                              Consumer<Transfer> notice) {
        final CompletableFuture<Transfer> told;
        synchronized (this) {
            final Transfer t = transferNow(userId, fromAgentId, toAgentId);
            told = inOrderLocked(() -> {
                if (t.done()) {
                    notice.accept(t);
                }
            }, t);
        }
        tell();
        return told;
    }

    /** The synchronous form of {@link #transfer}. */
    public synchronized Transfer transferNow(String userId, String fromAgentId, String toAgentId) {
        if (!fromAgentId.equals(agentOfUser.get(userId))) {
            return Transfer.refused(Failure.NOT_PAIRED);
        }
        final Agent target;
        if (toAgentId == null) {
            target = available.stream().filter(a -> !a.id.equals(fromAgentId)).findFirst().orElse(null);
            if (target == null) {
                return Transfer.refused(Failure.NO_AGENT);
            }
        } else {
            target = agents.get(toAgentId);
            if (target == null || !target.online || target.away || toAgentId.equals(fromAgentId)) {
                return Transfer.refused(Failure.UNKNOWN_AGENT);
            }
            if (target.load >= capacity) {
                return Transfer.refused(Failure.NO_AGENT);
            }
        }
        final Agent from = agents.get(fromAgentId);
        if (from != null) {
            available.remove(from);
            from.users.remove(userId);
            from.load--;
            if (from.online && !from.away) {
                available.add(from);
            } else if (!from.online && from.load == 0) {
                agents.remove(fromAgentId);
            }
        }
        available.remove(target);
        pairLocked(userId, target);
        return Transfer.to(target.id);
    }

    @Override
    public synchronized CompletionStage<String> agentStatus(String agentId) {
        final Agent agent = agents.get(agentId);
        final String status = agent == null || !agent.online ? null : agent.away ? "away" : "available";
        return CompletableFuture.completedFuture(status);
    }

    @Override
    public synchronized Map<String, Integer> agentsByStatus() {
        int availableCount = 0;
        int away = 0;
        for (Agent agent : agents.values()) {
            if (agent.online) {
                if (agent.away) {
                    away++;
                } else {
                    availableCount++;
                }
            }
        }
        return Map.of("available", availableCount, "away", away);
    }

    /** Takes the least-loaded available agent out of the pool, never {@code userId} itself. Under the lock. */
    private Agent leastLoadedOtherThan(String userId) {
        final Agent first = available.pollFirst();
        if (first == null || !first.id.equals(userId)) {
            return first;
        }
        // A user is never paired with itself (an id still in the pool from an agent connection).
        final Agent next = available.pollFirst();
        available.add(first);
        return next;
    }

    @Override
    public CompletionStage<Boolean> isPaired(String userId, String agentId) {
        return agentId.equals(agentOfUser.get(userId)) ? TRUE : FALSE;
    }

    @Override
    public CompletionStage<String> agentOf(String userId) {
        return CompletableFuture.completedFuture(agentOfUser.get(userId));
    }

    /** The synchronous form of {@link #agentOf}. */
    public String agentOfNow(String userId) {
        return agentOfUser.get(userId);
    }

    @Override
    public synchronized CompletionStage<List<String>> usersOf(String agentId) {
        final Agent agent = agents.get(agentId);
        return CompletableFuture.completedFuture(agent == null ? List.of() : new ArrayList<>(agent.users));
    }

    @Override
    public CompletionStage<Boolean> unpair(String userId, String agentId) {
        return unpair(userId, agentId, () -> { });
    }

    @Override
    public CompletionStage<Boolean> unpair(String userId, String agentId, Runnable notice) {
        final CompletableFuture<Boolean> told;
        synchronized (this) {
            if (!unpairNow(userId, agentId)) {
                return FALSE;
            }
            told = inOrderLocked(notice, Boolean.TRUE, durable());
        }
        tell();
        return told;
    }

    /** The synchronous form of {@link #unpair}. */
    public synchronized boolean unpairNow(String userId, String agentId) {
        if (!agentOfUser.remove(userId, agentId)) {
            return false;
        }
        store.unpaired(userId);
        queueing.remove(userId);
        final Agent agent = agents.get(agentId);
        if (agent != null) {
            available.remove(agent);
            agent.users.remove(userId);
            agent.load--;
            if (agent.online && !agent.away) {
                available.add(agent);
            } else if (agent.load == 0) {
                agents.remove(agentId);
            }
        }
        return true;
    }

    @Override
    public synchronized void agentOnline(String agentId) {
        final Agent agent = agents.computeIfAbsent(agentId, id -> new Agent(id, nextSeq++));
        if (!agent.online || agent.away) {
            // Available is the state on connect (PROTOCOL.md §6).
            available.remove(agent);
            agent.online = true;
            agent.away = false;
            if (agent.load < capacity) {
                available.add(agent);
            }
        }
    }

    @Override
    public synchronized void agentOffline(String agentId) {
        final Agent agent = agents.get(agentId);
        if (agent == null) {
            return;
        }
        available.remove(agent);
        agent.online = false;
        agent.away = false;
        if (agent.load == 0) {
            agents.remove(agentId);
        }
    }

    @Override
    public CompletionStage<List<String>> releaseAgent(String agentId) {
        return releaseAgent(agentId, user -> { });
    }

    @Override
    public CompletionStage<List<String>> releaseAgent(String agentId, Consumer<String> notice) {
        final List<String> users;
        final CompletableFuture<List<String>> told;
        synchronized (this) {
            users = releaseAgentNow(agentId);
            told = inOrderLocked(() -> users.forEach(notice), users);
        }
        tell();
        return told;
    }

    /** The synchronous form of {@link #releaseAgent}. */
    public synchronized List<String> releaseAgentNow(String agentId) {
        final Agent agent = agents.remove(agentId);
        if (agent == null) {
            return List.of();
        }
        available.remove(agent);
        final List<String> users = new ArrayList<>(agent.users);
        final List<String> back = new ArrayList<>();
        for (String user : users) {
            if (agentOfUser.remove(user, agentId)) {
                store.unpaired(user);
                if (queueing.contains(user) && !waits.containsKey(user)) {
                    back.add(user);
                }
            }
        }
        // Those who asked to wait go back to the head, in their order; serveQueue tells them where they are.
        final long now = clockMillis.getAsLong();
        for (int i = back.size() - 1; i >= 0; i--) {
            enqueueLocked(new Wait(back.get(i), --headTicket, now));
        }
        return users;
    }

    @Override
    public int pairings() {
        return agentOfUser.size();
    }

    @Override
    public synchronized int availableAgents() {
        return available.size();
    }

    /** The load of every known agent (a copy, for stats and tests). */
    @Override
    public synchronized Map<String, Integer> loads() {
        final Map<String, Integer> loads = new HashMap<>();
        agents.forEach((id, a) -> loads.put(id, a.load));
        return loads;
    }

    /** The most users one agent serves. */
    @Override
    public int capacity() {
        return capacity;
    }
}
