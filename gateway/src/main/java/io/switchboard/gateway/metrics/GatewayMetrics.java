package io.switchboard.gateway.metrics;

import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Failure;

/**
 * Events worth counting. Every method has a no-op default, so an implementation overrides what it records.
 * Implementations must be thread-safe and cheap: they are called on event loops, several times per message.
 * Non-blocking; safe to call from an event loop.
 */
public interface GatewayMetrics {

    /** A metrics sink that records nothing. */
    GatewayMetrics NOOP = new GatewayMetrics() {};

    /** A WebSocket session was registered. */
    default void connectionOpened(Role role) {}

    /** A registered WebSocket session closed; {@code closeCode} is what the gateway knows of it, or -1. */
    default void connectionClosed(Role role) {}

    /** A connection was refused before the upgrade with this HTTP status. */
    default void handshakeRejected(int status) {}

    /** A connection was refused at accept because the gateway was at its connection limit. */
    default void connectionRefused() {}

    /** A newer connection replaced an older one of the same userId (4001). */
    default void sessionReplaced() {}

    /** A {@code normal} reached its peer's connection ({@code push success}). */
    default void messageRouted() {}


    /** A {@code normal} was held for an offline or slow peer ({@code stored offline}). */
    default void messageHeld() {}

    /** A message was answered with a failure of this kind. */
    default void failure(Failure failure) {}

    /** A pairing was made. */
    default void matched() {}

    /** A pairing ended ({@code leave}, or the grace period of a disconnected peer ran out). */
    default void pairingEnded() {}

    /** A peer stayed unwritable; {@code closed} tells whether it was then closed with 1013. */
    default void slowConsumer(boolean closed) {}

    /** Held messages that expired before their recipient came back. */
    default void offlineExpired(int count) {}

    /** Held messages dropped because a bound was reached. */
    default void offlineDropped(int count) {}

    /** Held messages delivered on reconnect or when a slow peer caught up. */
    default void offlineDelivered(int count) {}

    /** A connection was closed because it kept sending malformed messages (1008). */
    default void policyClose() {}

    /** An unexpected exception on a connection. */
    default void unexpectedError() {}

    /** A message reached the recipient's socket {@code nanos} after the router took it (the end-to-end hop). */
    default void routingLatency(long nanos) {}

    /** A server-side push ({@code POST /api/v1/push}) reached these recipients live, held or not at all. */
    default void pushed(int delivered, int held, int unknown) {}

    /** A webhook was accepted by its backend (2xx) after {@code nanos} for that attempt. */
    default void webhookSent(long nanos) {}

    /** One webhook attempt failed (connection error, timeout or non-2xx); it is retried within the window. */
    default void webhookFailed() {}

    /** A webhook event was given up: {@code queue_full} at enqueue, or {@code retry_window} after retries. */
    default void webhookDropped(String reason) {}
}
