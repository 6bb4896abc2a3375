package io.switchboard.gateway.testing;

/**
 * How a WebSocket connection ended, as the client saw it: the status code and reason of the server's close frame, or
 * {@link #ABNORMAL} (1006, RFC 6455 §7.1.5) when the connection dropped without one.
 *
 * @param code   the close status code
 * @param reason the close reason, {@code ""} when none
 */
public record CloseStatus(int code, String reason) {

    /** RFC 6455 §7.1.5: the connection closed without a close frame. */
    public static final int ABNORMAL = 1006;

    /** A connection that closed without a close frame. */
    public static CloseStatus abnormal() {
        return new CloseStatus(ABNORMAL, "");
    }
}
