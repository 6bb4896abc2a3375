package io.switchboard.loadtest.client;

/**
 * How a client connection ended, reported once per connection.
 *
 * @param established whether the WebSocket handshake had completed
 * @param code        the close status code the server sent, or {@link #NO_CODE} if it sent no close frame
 * @param reason      the server's close reason text ("" if none)
 * @param failure     a short classification of what went wrong ({@code refused}, {@code connect-timeout},
 *                    {@code http-403}, {@code handshake-timeout}, {@code reset}, ...), or {@code null} for a close
 *                    this client asked for or a clean close frame from the server
 * @param cause       the underlying exception, if any
 * @param byClient    whether this client initiated the close
 */
public record CloseStatus(boolean established, int code, String reason, String failure, Throwable cause,
                          boolean byClient) {

    /** {@link #code()} when no close frame was received. */
    public static final int NO_CODE = -1;

    /** Whether the server sent a close frame. */
    public boolean hasCode() {
        return code != NO_CODE;
    }

    @Override
    public String toString() {
        return "CloseStatus(established=" + established + ", code=" + code + ", reason=" + reason + ", failure="
                + failure + ", byClient=" + byClient + ')';
    }
}
