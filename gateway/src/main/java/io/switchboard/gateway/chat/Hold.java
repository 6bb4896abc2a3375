package io.switchboard.gateway.chat;

import io.switchboard.protocol.Envelope;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Messages kept for a userId until it can take them: a bounded store, nothing more. It never writes to a connection;
 * {@link LocalDelivery} decides what is held and writes what is taken. Two implementations: {@link MemoryHold} (this
 * node's memory: offline users on one gateway, and slow or failing connections in both modes) and the cluster's
 * Redis hold (users connected to no node). Thread-safe and non-blocking: safe to call from any event loop.
 */
public interface Hold {

    /**
     * Holds {@code envelope} for {@code userId}, after what is already held; completes with
     * {@link Router.Delivery#HELD}, or {@link Router.Delivery#DROPPED} when a bound refused it (counted).
     */
    CompletionStage<Router.Delivery> hold(String userId, Envelope envelope);

    /** Takes everything held for {@code userId} that has not expired, oldest first, and forgets it. */
    CompletionStage<List<Envelope>> take(String userId);

    /** Drops every held message past its time to live. Run periodically. */
    void sweep();
}
