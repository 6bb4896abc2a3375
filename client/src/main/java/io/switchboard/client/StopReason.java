package io.switchboard.client;

/** Why a {@link SwitchboardClient} stopped for good (it reconnects after any other end of a connection). */
public enum StopReason {
    /** The application closed the client. */
    CLOSED,
    /**
     * Close 4001: a newer connection for the same userId replaced this one ({@code PROTOCOL.md} §1). Reconnecting
     * would only take the userId back and forth between the two.
     */
    REPLACED,
    /** Close 4003: a backend disconnected this userId through the server-side API. */
    KICKED,
    /** The gateway refused the handshake with HTTP 400, 401 or 403: retrying with the same request cannot help. */
    REJECTED
}
