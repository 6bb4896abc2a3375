package io.switchboard.client;

import io.switchboard.protocol.Envelope;

/**
 * Receives what the gateway pushes to this userId: {@code normal} messages, {@code match} and {@code leave} notices,
 * pushes from the server-side API, and any other message that is not the answer to one of this client's requests.
 *
 * <p>Called on the client's handler executor, one message at a time and in seq order; each message is passed once
 * (redeliveries after a reconnect are dropped by seq). The message is acknowledged to the gateway after this method
 * returns, also when it throws (the exception is logged: a message that always fails would otherwise come back on
 * every reconnect). The handler may block: the connection keeps reading up to the client's bound of unprocessed
 * messages, then stops reading until the handler catches up.
 */
@FunctionalInterface
public interface MessageHandler {

    /**
     * @param message the pushed message; {@link Envelope#seq()} is its delivery seq ({@code null} only for the rare
     *                push that carries none)
     */
    void onMessage(Envelope message);
}
