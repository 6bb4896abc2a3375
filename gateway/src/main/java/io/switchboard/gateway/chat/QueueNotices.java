package io.switchboard.gateway.chat;

import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.MessageType;

/**
 * Turns what the waiting queue does on its own into notices ({@code PROTOCOL.md} §6): a user matched from the queue
 * and its agent both get {@code match} (held like any {@code match} notice if they are offline); a changed position
 * is a live {@code queue} notice (never held: on reconnect a user asks again); a wait past the time limit is a
 * {@code match} failure {@code QUEUE_TIMEOUT}. Also counts them and tells the webhooks. Non-blocking.
 */
public final class QueueNotices implements QueueListener {

    private final Router router;
    private final Envelopes envelopes;
    private final GatewayMetrics metrics;
    private final ChatEvents events;
    private final History history;

    public QueueNotices(Router router, Envelopes envelopes, GatewayMetrics metrics, ChatEvents events,
                        History history) {
        this.router = router;
        this.envelopes = envelopes;
        this.metrics = metrics;
        this.events = events;
        this.history = history;
    }

    @Override
    public void matched(String userId, String agentId, long waitedMillis) {
        metrics.matched();
        metrics.dequeued("matched", waitedMillis);
        events.dequeued(userId, "matched", agentId, waitedMillis);
        events.matched(userId, agentId);
        history.started(userId);
        router.deliver(agentId, envelopes.matched(null, agentId, userId));
        router.deliver(userId, envelopes.matched(null, userId, agentId));
    }

    @Override
    public void moved(String userId, int position) {
        router.notify(userId, envelopes.queued(null, userId, position));
    }

    @Override
    public void expired(String userId, long waitedMillis) {
        metrics.dequeued("timeout", waitedMillis);
        metrics.failure(Failure.QUEUE_TIMEOUT);
        events.dequeued(userId, "timeout", null, waitedMillis);
        router.deliver(userId, envelopes.failure(MessageType.MATCH, null, userId, Failure.QUEUE_TIMEOUT));
    }
}
