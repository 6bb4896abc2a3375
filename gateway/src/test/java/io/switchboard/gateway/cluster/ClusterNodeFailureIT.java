package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node dies without a word (its heartbeat stops, its Redis connections drop): its users are released within
 * node-ttl + node-heartbeat, and messages held for them meanwhile reach them on another node.
 */
class ClusterNodeFailureIT {

    /** node-ttl + heartbeat 0.2 s in the test config, plus scheduling slack. */
    private static final Duration BOUND = ClusterExtension.NODE_TTL.plusMillis(200 + 1500);

    /** A long grace period: only the reaper, not a grace timer, can release the users in time. */
    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(3).with(b -> b.reconnectGrace(Duration.ofMinutes(5)));

    @Test
    void usersOfACrashedNodeAreReleasedAndGetTheirHeldMessagesElsewhere() throws Exception {
        try (WsTestClient agent = cluster.agent(1, "agent-f")) {
            cluster.awaitAgentInPool("agent-f");
            final WsTestClient user = cluster.user(0, "user-f");
            user.send(Envelope.client("match", "m", "system", null));
            assertEquals("agent-f", user.next(TIMEOUT).msg());
            assertEquals("user-f", agent.next(TIMEOUT).msg());

            cluster.crash(0);
            final long crashedAt = System.nanoTime();
            user.close();
            // Sent before the cluster noticed: node 1 no longer listens, so it is held in Redis.
            agent.send(Envelope.client("normal", "during", "user-f", "are you there?"));
            final Envelope receipt = agent.next(TIMEOUT);
            assertEquals("stored offline", receipt.msg(), receipt.toString());

            final Envelope leave = agent.nextOfType("leave", BOUND.multipliedBy(2));
            final Duration took = Duration.ofNanos(System.nanoTime() - crashedAt);
            assertEquals("user-f", leave.msg());
            assertTrue(took.compareTo(BOUND) <= 0, "released after " + took.toMillis() + " ms");
            assertNull(cluster.redis().get(cluster.key("presence:user-f")));
            assertNull(cluster.redis().hget(cluster.key("pairs"), "user-f"));
            assertEquals(0.0, cluster.redis().zscore(cluster.key("pool"), "agent-f"));

            try (WsTestClient back = cluster.user(2, "user-f")) {
                final Envelope held = back.next(TIMEOUT);
                assertEquals("are you there?", held.msg());
                assertEquals("agent-f", held.from());
                // Released: a new match pairs it again.
                back.send(Envelope.client("match", "m2", "system", null));
                assertEquals("agent-f", back.nextOfType("match", Duration.ofSeconds(5)).msg());
            }
        }
    }

    @Test
    void agentOfACrashedNodeIsReleasedAndItsUsersTold() throws Exception {
        final WsTestClient agent = cluster.agent(0, "agent-g");
        try (WsTestClient user = cluster.user(1, "user-g")) {
            cluster.awaitAgentInPool("agent-g");
            user.send(Envelope.client("match", "m", "system", null));
            assertEquals("agent-g", user.next(TIMEOUT).msg());
            cluster.crash(0);
            agent.close();
            final Envelope leave = user.nextOfType("leave", BOUND.multipliedBy(2));
            assertEquals("agent-g", leave.msg());
            assertNull(cluster.redis().zscore(cluster.key("pool"), "agent-g"));
            user.send(Envelope.client("match", "m2", "system", null));
            assertEquals("NO_AGENT", user.nextOfType("match", Duration.ofSeconds(5)).reason());
        }
    }
}
