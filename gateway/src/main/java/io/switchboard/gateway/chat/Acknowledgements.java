package io.switchboard.gateway.chat;

import io.switchboard.gateway.session.Session;

/**
 * The {@code ack}s of acknowledging connections ({@code PROTOCOL.md} §5), as the message rules see them: one gateway
 * keeps the unacknowledged deliveries in memory and its data file ({@link AckLogs}), a cluster in Redis.
 * Thread-safe and non-blocking.
 */
public interface Acknowledgements {

    /**
     * The client of {@code session} acknowledged every delivery up to and including seq {@code upTo}; {@code false}
     * if that is more than this connection was sent (answer {@code error}/{@code BAD_MESSAGE}). Acknowledged
     * {@code normal}s of acknowledging senders earn them a {@code delivered} notice.
     */
    boolean acknowledge(Session session, long upTo);
}
