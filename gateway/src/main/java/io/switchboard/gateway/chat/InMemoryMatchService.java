package io.switchboard.gateway.chat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The single-node {@link MatchService}. The hot-path question "is this user paired with that agent" is a lock-free
 * map read; compound changes (match, unpair, agent online/offline) take one short lock that does no I/O, so no
 * agent ever exceeds its capacity. Available agents are kept ordered by load, so a match is O(log agents).
 *
 * <p>Pairings are written through to the {@link ChatStore} and put back at start ({@link #restore}); a new pairing is
 * answered once the store has it.
 *
 * <p>Thread-safe and non-blocking (the lock is held for a few map operations): safe to call from an event loop.
 */
public final class InMemoryMatchService implements MatchService {

    private static final Comparator<Agent> LEAST_LOADED =
            Comparator.<Agent>comparingInt(a -> a.load).thenComparingLong(a -> a.seq);

    private static final CompletionStage<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    private static final CompletionStage<Boolean> FALSE = CompletableFuture.completedFuture(Boolean.FALSE);

    private final int capacity;
    private final ChatStore store;
    /** userId to agentId; written under the lock, read without it. */
    private final ConcurrentHashMap<String, String> agentOfUser = new ConcurrentHashMap<>();
    /** Guarded by {@code this}. */
    private final Map<String, Agent> agents = new HashMap<>();
    /** Online agents below capacity, least loaded first. Guarded by {@code this}. */
    private final TreeSet<Agent> available = new TreeSet<>(LEAST_LOADED);
    private long nextSeq;

    /** An agent's mutable state; only touched under the lock. */
    private static final class Agent {
        final String id;
        final long seq;
        final Set<String> users = new LinkedHashSet<>();
        int load;
        boolean online;

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
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        }
        this.capacity = capacity;
        this.store = store;
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
        final MatchResult result = matchNow(userId);
        if (result.isNew() && store.durable()) {
            return store.flushed().thenApply(ignored -> result);
        }
        return CompletableFuture.completedFuture(result);
    }

    /** The synchronous form of {@link #match}. */
    public MatchResult matchNow(String userId) {
        final String current = agentOfUser.get(userId);
        if (current != null) {
            return new MatchResult(current, false);
        }
        synchronized (this) {
            final String again = agentOfUser.get(userId);
            if (again != null) {
                return new MatchResult(again, false);
            }
            final Agent agent = leastLoadedOtherThan(userId);
            if (agent == null) {
                return MatchResult.NO_AGENT;
            }
            agent.load++;
            agent.users.add(userId);
            agentOfUser.put(userId, agent.id);
            store.paired(userId, agent.id);
            if (agent.load < capacity) {
                available.add(agent);
            }
            return new MatchResult(agent.id, true);
        }
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
        if (!unpairNow(userId, agentId)) {
            return FALSE;
        }
        return store.durable() ? store.flushed().thenApply(ignored -> Boolean.TRUE) : TRUE;
    }

    /** The synchronous form of {@link #unpair}. */
    public synchronized boolean unpairNow(String userId, String agentId) {
        if (!agentOfUser.remove(userId, agentId)) {
            return false;
        }
        store.unpaired(userId);
        final Agent agent = agents.get(agentId);
        if (agent != null) {
            available.remove(agent);
            agent.users.remove(userId);
            agent.load--;
            if (agent.online) {
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
        if (!agent.online) {
            agent.online = true;
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
        if (agent.load == 0) {
            agents.remove(agentId);
        }
    }

    @Override
    public CompletionStage<List<String>> releaseAgent(String agentId) {
        return CompletableFuture.completedFuture(releaseAgentNow(agentId));
    }

    /** The synchronous form of {@link #releaseAgent}. */
    public synchronized List<String> releaseAgentNow(String agentId) {
        final Agent agent = agents.remove(agentId);
        if (agent == null) {
            return List.of();
        }
        available.remove(agent);
        final List<String> users = new ArrayList<>(agent.users);
        for (String user : users) {
            if (agentOfUser.remove(user, agentId)) {
                store.unpaired(user);
            }
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
