package io.switchboard.gateway.chat;

import io.netty.buffer.ByteBuf;
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

    /**
     * Delivers {@code envelope}, already encoded as its JSON text in {@code encoded}, so that a fan-out to many
     * recipients encodes once: a live delivery writes a {@code TextWebSocketFrame} over
     * {@code encoded.retainedDuplicate()}; a held one keeps the envelope. The caller keeps ownership of
     * {@code encoded} and releases it after the last recipient. This default ignores the encoding.
     */
    default Delivery deliverEncoded(String toUserId, Envelope envelope, ByteBuf encoded) {
        return deliver(toUserId, envelope);
    }
}
