package io.switchboard.gateway.chat;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Pairs users with agents and remembers the pairings. One user has at most one agent; an agent serves up to its
 * capacity of users. Thread-safe and non-blocking: every method is safe to call from an event loop.
 */
public interface MatchService {

    /**
     * Pairs {@code userId} with the least-loaded online agent that has free capacity, or returns its current agent.
     * Completes with {@link MatchResult#NO_AGENT} when no agent can take the user.
     */
    CompletionStage<MatchResult> match(String userId);

    /** The agent {@code userId} is paired with, or {@code null}. */
    String agentOf(String userId);

    /** The users paired with {@code agentId} (a copy). */
    List<String> usersOf(String agentId);

    /** Ends the pairing of {@code userId} with {@code agentId}; {@code false} if they were not paired. */
    boolean unpair(String userId, String agentId);

    /** {@code agentId} is connected and may be matched. */
    void agentOnline(String agentId);

    /** {@code agentId} disconnected: it gets no new users; its pairings stay until {@link #releaseAgent}. */
    void agentOffline(String agentId);

    /** Forgets {@code agentId} and ends all its pairings; returns the users it was paired with. */
    List<String> releaseAgent(String agentId);

    /** The number of current pairings. */
    int pairings();

    /** The number of agents that can be matched now (online, below capacity). */
    int availableAgents();
}
