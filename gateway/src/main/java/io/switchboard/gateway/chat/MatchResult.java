package io.switchboard.gateway.chat;

/**
 * The outcome of a {@code match}: the agent, and whether the pairing is new (the agent must be told) or the user
 * was already paired (match is idempotent). {@code agentId} is {@code null} when no agent had free capacity; then
 * {@code position} is the user's place in the waiting queue (1 = next) if it asked to wait, 0 if it did not, and -1
 * if the queue is full ({@code PROTOCOL.md} §6).
 */
public record MatchResult(String agentId, boolean isNew, int position) {

    /** No agent online, or all at capacity. */
    public static final MatchResult NO_AGENT = new MatchResult(null, false, 0);

    /** No agent had capacity and the waiting queue is at its bound. */
    public static final MatchResult QUEUE_FULL = new MatchResult(null, false, -1);

    /** A pairing, new or the user's current one. */
    public MatchResult(String agentId, boolean isNew) {
        this(agentId, isNew, 0);
    }

    /** The user waits in the queue at {@code position}. */
    public static MatchResult queued(int position) {
        return new MatchResult(null, false, position);
    }

    /** Whether an agent was found. */
    public boolean found() {
        return agentId != null;
    }

    /** Whether the user waits in the queue. */
    public boolean isQueued() {
        return agentId == null && position > 0;
    }
}
