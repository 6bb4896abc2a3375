package io.switchboard.gateway.chat;

/**
 * The outcome of a {@code match}: the agent, and whether the pairing is new (the agent must be told) or the user
 * was already paired (match is idempotent). {@code agentId} is {@code null} when no agent had free capacity.
 */
public record MatchResult(String agentId, boolean isNew) {

    /** No agent online, or all at capacity. */
    public static final MatchResult NO_AGENT = new MatchResult(null, false);

    /** Whether an agent was found. */
    public boolean found() {
        return agentId != null;
    }
}
