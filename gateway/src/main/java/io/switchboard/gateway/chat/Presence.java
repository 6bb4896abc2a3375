package io.switchboard.gateway.chat;

import io.switchboard.gateway.session.Session;
import java.util.concurrent.CompletionStage;

/**
 * Where userIds are connected, beyond this gateway's own registry. One gateway knows no other ({@link #LOCAL}); a
 * cluster keeps a directory of every node's sessions. Called by {@link SessionLifecycle}. Thread-safe and
 * non-blocking: safe to call from an event loop.
 */
public interface Presence {

    /** One gateway: nobody is connected anywhere else. */
    Presence LOCAL = new Presence() {};

    /**
     * {@code session} was just registered on this gateway. Called on the session's event loop, after the local
     * registry replaced any older session of the same userId and before the local hold is drained to it.
     */
    default void attached(Session session) {}

    /** {@code session} was unregistered from this gateway (it closed and was not replaced locally). */
    default void detached(Session session) {}

    /** Whether {@code userId} is connected to another gateway of the cluster. */
    default CompletionStage<Boolean> connectedElsewhere(String userId) {
        return Stages.completed(Boolean.FALSE);
    }
}
