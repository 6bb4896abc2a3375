package io.switchboard.gateway.chat;

/**
 * Told what the waiting queue does on its own ({@code PROTOCOL.md} §6): a waiting user matched when an agent freed
 * up, a position that changed, a wait that ran out. A {@link MatchService} calls it in the order the queue changed,
 * from one thread at a time, never while holding its own locks; implementations deliver notices and must not block.
 */
public interface QueueListener {

    /** Listens to nothing. */
    QueueListener NONE = new QueueListener() {};

    /** {@code userId} waited {@code waitedMillis} and is now paired with {@code agentId}: tell both. */
    default void matched(String userId, String agentId, long waitedMillis) {}

    /** {@code userId}'s place in the queue is now {@code position} (1 = next). */
    default void moved(String userId, int position) {}

    /** {@code userId} waited past the queue's time limit and left it. */
    default void expired(String userId, long waitedMillis) {}
}
