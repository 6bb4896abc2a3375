package io.switchboard.gateway.chat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

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

    /**
     * As {@link #match}; with {@code queue}, a user no agent can take waits in the queue instead
     * ({@link MatchResult#isQueued}, or {@link MatchResult#QUEUE_FULL}), and a user already waiting gets its
     * position. While users wait, a new user never takes an agent ahead of them: the queue is served first.
     */
    CompletionStage<MatchResult> match(String userId, boolean queue);

    /**
     * Matches waiting users, head first, with agents that have capacity; tells the {@link QueueListener} about each
     * new pairing and every position that changed. Call after anything that may have freed an agent (an ended
     * pairing, an agent online or available, a transfer), once the notices of that change are sent, so a freed
     * agent hears {@code leave} before its next {@code match}.
     */
    CompletionStage<Void> serveQueue();

    /**
     * {@code userId} leaves the queue (its {@code leave}, or gone for good); completes with how long it waited, in
     * milliseconds, or -1 if it was not waiting.
     */
    CompletionStage<Long> leaveQueue(String userId);

    /** {@code userId}'s place in the queue, or 0 when it is not waiting. */
    CompletionStage<Integer> queuePosition(String userId);

    /** Ends the waits past the queue's time limit ({@link QueueListener#expired}). Run periodically. */
    CompletionStage<Void> expireQueue();

    /** The waiting users, head first (a copy, for the API and the dashboard). */
    CompletionStage<java.util.List<Waiting>> waiting();

    /** How many users wait, as far as this gateway knows without asking anyone (for the gauge). */
    default int waitingCount() {
        return 0;
    }

    /** Sets who hears about the queue's own changes; once, at wiring, before any traffic. */
    void setQueueListener(QueueListener listener);

    /**
     * An online agent sets its status: away gets no new users (its conversations go on), available does again.
     * Completes {@code false} if the agent is not online.
     */
    CompletionStage<Boolean> setAvailable(String agentId, boolean available);

    /**
     * Moves {@code userId} from {@code fromAgentId} to {@code toAgentId}, or, for {@code null}, to the least-loaded
     * other available agent with capacity. The conversation goes on (its history included).
     */
    CompletionStage<Transfer> transfer(String userId, String fromAgentId, String toAgentId);

    /** {@code agentId}'s status: {@code available}, {@code away}, or {@code null} when it is not online. */
    CompletionStage<String> agentStatus(String agentId);

    /** The number of online agents by status ({@code available}, {@code away}) as far as this gateway knows. */
    default Map<String, Integer> agentsByStatus() {
        return Map.of();
    }

    /**
     * As {@link #match(String, boolean)}; {@code notice} runs with the result in the order of this service's notices
     * (see {@link QueueListener}), before any notice of a later change, and the stage completes after it: for a new
     * pairing the caller tells the agent there, so the agent never hears of it out of order.
     */
    default CompletionStage<MatchResult> match(String userId, boolean queue, Consumer<MatchResult> notice) {
        return match(userId, queue).thenApply(result -> {
            notice.accept(result);
            return result;
        });
    }

    /**
     * As {@link #unpair(String, String)}; when the pairing ended, {@code notice} runs in the order of this service's
     * notices, before any notice of what the freed room leads to (a match from the queue), and the stage completes
     * after it: the peer's {@code leave} goes there.
     */
    default CompletionStage<Boolean> unpair(String userId, String agentId, Runnable notice) {
        return unpair(userId, agentId).thenApply(ended -> {
            if (ended) {
                notice.run();
            }
            return ended;
        });
    }

    /**
     * As {@link #releaseAgent(String)}; {@code notice} runs for each released user in the order of this service's
     * notices, before those who asked to wait are told their new place.
     */
    default CompletionStage<List<String>> releaseAgent(String agentId, Consumer<String> notice) {
        return releaseAgent(agentId).thenApply(users -> {
            users.forEach(notice);
            return users;
        });
    }

    /**
     * As {@link #transfer(String, String, String)}; {@code notice} runs with a completed transfer in the order of this
     * service's notices, and the stage completes after it.
     */
    default CompletionStage<Transfer> transfer(String userId, String fromAgentId, String toAgentId,
                                               Consumer<Transfer> notice) {
        return transfer(userId, fromAgentId, toAgentId).thenApply(t -> {
            if (t.done()) {
                notice.accept(t);
            }
            return t;
        });
    }

    /**
     * As {@link #leaveQueue(String)}; {@code notice} runs with the result in the order of this service's notices, and
     * the stage completes after it.
     */
    default CompletionStage<Long> leaveQueue(String userId, java.util.function.LongConsumer notice) {
        return leaveQueue(userId).thenApply(waited -> {
            notice.accept(waited);
            return waited;
        });
    }

    /**
     * As {@link #setAvailable(String, boolean)}; {@code notice} runs when the agent was online, in the order of this
     * service's notices, and the stage completes after it.
     */
    default CompletionStage<Boolean> setAvailable(String agentId, boolean available, Runnable notice) {
        return setAvailable(agentId, available).thenApply(done -> {
            if (done) {
                notice.run();
            }
            return done;
        });
    }

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

    /**
     * Forgets {@code agentId} and ends all its pairings; completes with the users it was paired with. Those who had
     * asked to wait ({@code match} with {@code queue}) go back to the head of the queue, in their order; call
     * {@link #serveQueue} once their {@code leave} notices are sent.
     */
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
