package io.switchboard.gateway.chat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Pairs users with agents and remembers the pairings. One user has at most one agent; an agent serves up to its
 * capacity of users. The single-node implementation answers at once (completed stages); a shared-store one answers
 * when the store does, and fails its stages when the store is unreachable. Thread-safe and non-blocking: every method
 * is safe to call from an event loop; continue on the caller's loop with {@code whenCompleteAsync(fn, eventLoop)}.
 */
public interface MatchService {

    /**
     * Pairs {@code userId} with the least-loaded online agent that has free capacity, or returns its current agent.
     * Completes with {@link MatchResult#NO_AGENT} when no agent can take the user.
     */
    CompletionStage<MatchResult> match(String userId);

    /** Whether {@code userId} is paired with {@code agentId}: the check in front of every {@code normal}. */
    CompletionStage<Boolean> isPaired(String userId, String agentId);

    /** The agent {@code userId} is paired with, or {@code null}. */
    CompletionStage<String> agentOf(String userId);

    /** The users paired with {@code agentId} (a copy). */
    CompletionStage<List<String>> usersOf(String agentId);

    /** Ends the pairing of {@code userId} with {@code agentId}; {@code false} if they were not paired. */
    CompletionStage<Boolean> unpair(String userId, String agentId);

    /** {@code agentId} is connected and may be matched. Fire and forget: failures are logged. */
    void agentOnline(String agentId);

    /**
     * {@code agentId} disconnected: it gets no new users; its pairings stay until {@link #releaseAgent}. Fire and
     * forget: failures are logged.
     */
    void agentOffline(String agentId);

    /** Forgets {@code agentId} and ends all its pairings; completes with the users it was paired with. */
    CompletionStage<List<String>> releaseAgent(String agentId);

    /** The number of current pairings, as far as this gateway knows without asking anyone. */
    int pairings();

    /** The number of agents that can be matched now (online, below capacity), or -1 if unknown locally. */
    int availableAgents();

    /**
     * The load of every agent this gateway knows without asking anyone (a copy, for stats); empty when the pairings
     * live in a shared store.
     */
    default Map<String, Integer> loads() {
        return Map.of();
    }

    /** The most users one agent serves. */
    int capacity();
}
