package io.switchboard.gateway.chat;

import io.netty.buffer.ByteBuf;
import io.switchboard.protocol.Envelope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Delivers an envelope to a userId: to its live connection if it has one that is keeping up, else into a hold. On
 * one gateway ({@link LocalDelivery}) that is decided at once; in a cluster the recipient may sit on another node,
 * so the outcome is a {@link CompletionStage}. Thread-safe and non-blocking: safe to call from any event loop.
 */
public interface Router {

    /** What became of a delivery. */
    enum Delivery {
        /** Written to the recipient's live connection (possibly on another node). */
        LIVE,
        /** Held for the recipient, delivered in order when it reconnects or catches up. */
        HELD,
        /** Neither: the hold is full, or the node holding the recipient did not answer. Nothing was delivered. */
        DROPPED;

        /** One completed stage per value, so the single-node path allocates nothing per delivery. Never complete it. */
        private final CompletableFuture<Delivery> completed = CompletableFuture.completedFuture(this);

        /** This outcome as an already completed stage. */
        public CompletionStage<Delivery> asStage() {
            return completed;
        }
    }

    /** Delivers {@code envelope} to {@code toUserId}; completes with what became of it. */
    default CompletionStage<Delivery> deliver(String toUserId, Envelope envelope) {
        return deliverEncoded(toUserId, envelope, null);
    }

    /**
     * Delivers {@code envelope}, already encoded as its JSON text in {@code encoded} (or {@code null}: encode it when
     * needed), so that a fan-out to many recipients encodes once: a live delivery to a connection of this gateway
     * writes a {@code TextWebSocketFrame} over {@code encoded.retainedDuplicate()}, taken before this method returns;
     * a held one keeps the envelope. The caller keeps ownership of {@code encoded} and releases it after the last
     * recipient (it may do so before the returned stage completes).
     */
    CompletionStage<Delivery> deliverEncoded(String toUserId, Envelope envelope, ByteBuf encoded);

    /**
     * Writes {@code envelope} to {@code toUserId}'s live connection, wherever it is, if it has one that is keeping
     * up; else drops it. Never held, never sequenced: for notices whose worth is now ({@code typing}, {@code queue}
     * positions, {@code PROTOCOL.md} §6). Fire and forget.
     */
    void notify(String toUserId, Envelope envelope);

    /**
     * As {@link #notify}, but a recipient without a live connection keeps the newest notice per {@code key} until it
     * connects, after what was held for it ({@code read} marks: one per conversation). Not durable: a restart
     * forgets them, and they expire with the offline TTL.
     */
    void notifyOrKeep(String toUserId, String key, Envelope envelope);
}
