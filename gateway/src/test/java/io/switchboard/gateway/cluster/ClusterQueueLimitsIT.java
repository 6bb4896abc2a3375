package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The queue's bound and time limit, shared by three nodes: past the bound a user gets {@code QUEUE_FULL}; every node
 * runs the expiry each second, and each wait past the limit still ends exactly once.
 */
class ClusterQueueLimitsIT {

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(3).with(
            b -> b.agentCapacity(1).queueMax(2).queueTimeout(Duration.ofSeconds(2)));

    private static void match(WsTestClient client, String msgId) {
        client.send(Envelope.client("match", msgId, "system", "queue"));
    }

    @Test
    void boundedAndTimedOutExactlyOnce() throws Exception {
        final WsTestClient agent = cluster.agent(0, "lim-agent");
        cluster.awaitAgentInPool("lim-agent");
        final WsTestClient busy = cluster.user(0, "lim-busy");
        match(busy, "m");
        assertEquals("lim-agent", busy.next("match", TIMEOUT).msg());
        assertEquals("lim-busy", agent.next("match", TIMEOUT).msg());
        final WsTestClient first = cluster.user(1, "lim-1");
        match(first, "q");
        assertEquals("1", first.next("queue", TIMEOUT).msg());
        final WsTestClient second = cluster.user(2, "lim-2");
        match(second, "q");
        assertEquals("2", second.next("queue", TIMEOUT).msg());
        final WsTestClient third = cluster.user(0, "lim-3");
        match(third, "q");
        final Envelope full = third.next("match", TIMEOUT);
        assertEquals("1", full.code());
        assertEquals("QUEUE_FULL", full.reason());

        for (WsTestClient waiting : new WsTestClient[] {first, second}) {
            final Envelope expired = waiting.nextOfType("match", TIMEOUT);
            assertEquals("1", expired.code());
            assertEquals("QUEUE_TIMEOUT", expired.reason());
        }
        // Three nodes expire every second: nobody hears it twice.
        first.assertNoMessage(Duration.ofMillis(1500));
        second.assertNoMessage(Duration.ofMillis(10));
        assertEquals(0L, cluster.redis().zcard(cluster.key("queue")));
        assertEquals(0L, cluster.redis().hlen(cluster.key("queue:waits")));
        agent.assertNoMessage(Duration.ofMillis(10));
    }
}
