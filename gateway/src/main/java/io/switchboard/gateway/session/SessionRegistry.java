package io.switchboard.gateway.session;

import java.util.function.Consumer;

/**
 * Live sessions by userId: at most one per userId. Thread-safe and non-blocking: safe to call from any event loop.
 */
public interface SessionRegistry {

    /**
     * Registers {@code session} as the live session of its userId, unless a newer connection of that userId (one
     * whose upgrade was accepted later: {@link Session#isNewerThan}) registered first.
     *
     * @return the session it displaced for the same userId, or {@code null}; or {@code session} itself when a newer
     *         one is registered and it is not. The caller closes the one returned (4001)
     */
    Session register(Session session);

    /**
     * Removes {@code session} only if it is still the one registered for its userId, so that the late close of a
     * replaced connection never evicts its replacement.
     *
     * @return whether it was removed
     */
    boolean unregister(Session session);

    /** The live session of {@code userId}, or {@code null}. */
    Session find(String userId);

    /** How many sessions are registered. */
    int size();

    /** How many sessions of {@code role} are registered. */
    int count(Role role);

    /** Calls {@code action} for every registered session (weakly consistent, as {@code ConcurrentHashMap}). */
    void forEach(Consumer<Session> action);
}
