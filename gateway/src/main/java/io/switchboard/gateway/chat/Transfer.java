package io.switchboard.gateway.chat;

import io.switchboard.protocol.Failure;

/**
 * The outcome of a {@code transfer} ({@code PROTOCOL.md} §6): the user's new agent, or why it stayed: not the
 * sender's user ({@code NOT_PAIRED}), no such available agent ({@code UNKNOWN_AGENT}), no capacity ({@code NO_AGENT}).
 */
public record Transfer(String agentId, Failure failure) {

    /** Moved to {@code agentId}. */
    public static Transfer to(String agentId) {
        return new Transfer(agentId, null);
    }

    /** Not moved. */
    public static Transfer refused(Failure failure) {
        return new Transfer(null, failure);
    }

    /** Whether the user moved. */
    public boolean done() {
        return agentId != null;
    }
}
