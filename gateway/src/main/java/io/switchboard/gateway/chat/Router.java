package io.switchboard.gateway.chat;

import io.netty.buffer.ByteBuf;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Delivers an envelope to a userId: to its live connection if it has one that is keeping up, else into the offline
 * hold. On one gateway that is decided at once; in a cluster the recipient may sit on another node, so the outcome
 * is a {@link CompletionStage}. Thread-safe and non-blocking: safe to call from any event loop.
 *
 * <p>A router also hears about the sessions of this gateway coming and going ({@link #attached}, {@link #detached}),
 * so that a cluster-wide implementation can keep its directory of who is connected where.
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
    CompletionStage<Delivery> deliver(String toUserId, Envelope envelope);

    /**
     * Delivers {@code envelope}, already encoded as its JSON text in {@code encoded}, so that a fan-out to many
     * recipients encodes once: a live delivery to a connection of this gateway writes a {@code TextWebSocketFrame}
     * over {@code encoded.retainedDuplicate()}, taken before this method returns; a held one, or one for another
     * node, keeps the envelope. The caller keeps ownership of {@code encoded} and releases it after the last
     * recipient (it may do so before the returned stage completes). This default ignores the encoding.
     */
    default CompletionStage<Delivery> deliverEncoded(String toUserId, Envelope envelope, ByteBuf encoded) {
        return deliver(toUserId, envelope);
    }

    /**
     * {@code session} was just registered on this gateway. Called on the session's event loop, after the local
     * registry replaced any older session of the same userId and before the local hold is drained to it.
     */
    default void attached(Session session) {}

    /** {@code session} was unregistered from this gateway (it closed and was not replaced locally). */
    default void detached(Session session) {}

    /**
     * Whether {@code userId} is connected to another gateway of the cluster. A single gateway knows no other, so its
     * answer is always {@code false}.
     */
    default CompletionStage<Boolean> connectedElsewhere(String userId) {
        return CompletableFuture.completedFuture(Boolean.FALSE);
    }
}
