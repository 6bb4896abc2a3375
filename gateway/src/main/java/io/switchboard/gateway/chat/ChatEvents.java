package io.switchboard.gateway.chat;

import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Envelope;

/**
 * What happens in the chat, for listeners outside it (webhooks to backends). Every method has a no-op default.
 * {@link SessionLifecycle} and {@link ChatRules} call them on event loops, on the path of connects and messages, so
 * implementations must only hand the event off (a bounded queue) and return: non-blocking; safe to call from an
 * event loop.
 */
public interface ChatEvents {

    /** Listens to nothing. */
    ChatEvents NONE = new ChatEvents() {};

    /** A WebSocket session was registered. {@code connectionId} tells two connections of one userId apart. */
    default void connected(String userId, Role role, String connectionId, long atMillis) {}

    /**
     * A registered session closed. {@code closeCode} is the WebSocket close status sent or received first, or -1 if
     * the connection ended without one (a reset); {@code byServer} whether the gateway sent it.
     */
    default void disconnected(String userId, Role role, String connectionId, int closeCode, String closeReason,
                              boolean byServer) {}

    /** A new pairing. */
    default void matched(String userId, String agentId) {}

    /**
     * A pairing ended: {@code by} sent {@code leave}, or, when {@code graceExpired}, {@code by} disconnected and did
     * not come back within the reconnect grace period.
     */
    default void left(String userId, String agentId, String by, boolean graceExpired) {}

    /**
     * Whether {@code normal} messages to {@code system} are forwarded with {@link #systemMessage} (and answered with
     * {@code push success}) rather than refused with {@code NOT_PAIRED}.
     */
    default boolean handlesSystemMessages() {
        return false;
    }

    /** A client sent a {@code normal} to {@code system}; {@code msgId} is the one its receipt carries. */
    default void systemMessage(String from, Role role, String msgId, String msg) {}

    /**
     * A {@code normal} between a user and an agent was delivered live or held ({@code delivered} as the peer got it).
     */
    default void messageRouted(Envelope delivered, Router.Delivery outcome) {}

    /** {@code userId} waits in the queue at {@code position} ({@code PROTOCOL.md} §6). */
    default void queued(String userId, int position) {}

    /**
     * {@code userId} left the queue after {@code waitedMillis}: {@code matched} (to {@code agentId}), {@code timeout},
     * or {@code left} (its {@code leave}, or it did not come back within the reconnect grace period).
     */
    default void dequeued(String userId, String outcome, String agentId, long waitedMillis) {}

    /** {@code fromAgentId} handed {@code userId} to {@code toAgentId}. */
    default void transferred(String userId, String fromAgentId, String toAgentId) {}

    /** {@code agentId} set its status ({@code available}, {@code away}). */
    default void statusChanged(String agentId, String status) {}
}
