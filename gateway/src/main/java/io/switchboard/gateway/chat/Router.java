package io.switchboard.gateway.chat;

import io.switchboard.protocol.Envelope;

/**
 * Delivers an envelope to a userId: to its live connection if it has one that is keeping up, else into the offline
 * hold. Thread-safe and non-blocking: safe to call from any event loop.
 */
public interface Router {

    /** What became of a delivery. */
    enum Delivery {
        /** Written to the recipient's connection. */
        LIVE,
        /** Held for the recipient, delivered in order when it reconnects or catches up. */
        HELD,
        /** Neither: the hold is full. Nothing was delivered. */
        DROPPED
    }

    /** Delivers {@code envelope} to {@code toUserId}. */
    Delivery deliver(String toUserId, Envelope envelope);
}
