package io.switchboard.loadtest.client;

import io.netty.channel.Channel;
import io.switchboard.protocol.Envelope;

/**
 * Receives the events of one client connection. Every method runs on the connection's event loop, so an
 * implementation that is confined to one connection needs no synchronization; it must not block.
 */
public interface ClientListener {

    /** The WebSocket handshake completed; {@code channel} accepts {@link Envelope} writes from now on. */
    default void onOpen(Channel channel) {}

    /** An envelope arrived. */
    default void onEnvelope(Channel channel, Envelope envelope) {}

    /** The current read batch is over (Netty's {@code channelReadComplete}): a point to coalesce replies at. */
    default void onReadComplete(Channel channel) {}

    /** A text message arrived that is not a valid envelope. */
    default void onMalformed(Channel channel, String problem) {}

    /** The channel's writability changed ({@link Channel#isWritable()}). */
    default void onWritabilityChanged(Channel channel) {}

    /** The connection is gone: called exactly once per connection, whether or not it was ever established. */
    default void onClosed(Channel channel, CloseStatus status) {}
}
