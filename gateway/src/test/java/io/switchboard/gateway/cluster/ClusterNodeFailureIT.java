package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node dies without a word (its heartbeat stops, its Redis connections drop): its users are released within
 * node-ttl + node-heartbeat, and messages held for them meanwhile reach them on another node.
 */
class ClusterNodeFailureIT {

    /** node-ttl 1 s + heartbeat 0.2 s in the test config, plus scheduling slack. */
    private static final Duration BOUND = Duration.ofMillis(1000 + 200 + 1500);
    private ClusterTestSupport cluster;
    private List<GatewayServer> nodes;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterTestSupport();
        // A long grace period: only the reaper, not a grace timer, can release the users in time.
        nodes = cluster.startNodes(3, b -> b.reconnectGrace(Duration.ofMinutes(5)));
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void usersOfACrashedNodeAreReleasedAndGetTheirHeldMessagesElsewhere() throws Exception {
        try (WsClient agent = WsClient.agent(cluster.clients, nodes.get(1).localAddress(), "agent-f")) {
            ClusterSessionIT.awaitTrue(() -> cluster.redis().zscore(cluster.prefix + "pool", "agent-f") != null,
                                       "agent in pool");
            final WsClient user = WsClient.user(cluster.clients, nodes.get(0).localAddress(), "user-f");
            user.send("match", "m", "system", null);
            assertEquals("agent-f", user.next().msg());
            assertEquals("user-f", agent.next().msg());

            crash(nodes.get(0));
            final long crashedAt = System.nanoTime();
            user.close();
            // Sent before the cluster noticed: node 1 no longer listens, so it is held in Redis.
            agent.send("normal", "during", "user-f", "are you there?");
            final Envelope receipt = agent.next();
            assertEquals("stored offline", receipt.msg(), receipt.toString());

            final Envelope leave = agent.nextOfType("leave", BOUND.multipliedBy(2));
            final Duration took = Duration.ofNanos(System.nanoTime() - crashedAt);
            assertEquals("user-f", leave.msg());
            assertTrue(took.compareTo(BOUND) <= 0, "released after " + took.toMillis() + " ms");
            assertNull(cluster.redis().get(cluster.prefix + "presence:user-f"));
            assertNull(cluster.redis().hget(cluster.prefix + "pairs", "user-f"));
            assertEquals(0.0, cluster.redis().zscore(cluster.prefix + "pool", "agent-f"));

            try (WsClient back = WsClient.user(cluster.clients, nodes.get(2).localAddress(), "user-f")) {
                final Envelope held = back.next();
                assertEquals("are you there?", held.msg());
                assertEquals("agent-f", held.from());
                // Released: a new match pairs it again.
                back.send("match", "m2", "system", null);
                assertEquals("agent-f", back.nextOfType("match", Duration.ofSeconds(5)).msg());
            }
        }
    }

    @Test
    void agentOfACrashedNodeIsReleasedAndItsUsersTold() throws Exception {
        final WsClient agent = WsClient.agent(cluster.clients, nodes.get(0).localAddress(), "agent-g");
        try (WsClient user = WsClient.user(cluster.clients, nodes.get(1).localAddress(), "user-g")) {
            ClusterSessionIT.awaitTrue(() -> cluster.redis().zscore(cluster.prefix + "pool", "agent-g") != null,
                                       "agent in pool");
            user.send("match", "m", "system", null);
            assertEquals("agent-g", user.next().msg());
            crash(nodes.get(0));
            agent.close();
            final Envelope leave = user.nextOfType("leave", BOUND.multipliedBy(2));
            assertEquals("agent-g", leave.msg());
            assertNull(cluster.redis().zscore(cluster.prefix + "pool", "agent-g"));
            user.send("match", "m2", "system", null);
            assertEquals("NO_AGENT", user.nextOfType("match", Duration.ofSeconds(5)).reason());
        }
    }

    /** Stops the node's heartbeat and Redis traffic, then its listener, as a killed process would. */
    private static void crash(GatewayServer node) throws InterruptedException {
        node.cluster().simulateCrash();
        node.close();
    }
}
