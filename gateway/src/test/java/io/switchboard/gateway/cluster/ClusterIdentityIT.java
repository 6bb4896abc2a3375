package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The identity rules of #16 across nodes: an agent's id connecting as a user on another node replaces the agent
 * (4001), takes it out of the Redis pool and ends its pairings; the user-role session never matches itself.
 */
class ClusterIdentityIT {

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2);

    private static Envelope match(WsTestClient user) {
        user.send(Envelope.client("match", "m", "system", null));
        return user.next("match", TIMEOUT);
    }

    @Test
    void anAgentReconnectingAsAUserOnAnotherNodeLeavesThePool() throws Exception {
        final WsTestClient agent = cluster.agent(0, "ci-agent");
        try (WsTestClient user = cluster.user(0, "ci-user")) {
            cluster.awaitAgentInPool("ci-agent");
            assertEquals("ci-agent", match(user).msg());
            agent.next("match", TIMEOUT);
            cluster.awaitTrue(() -> cluster.redis().get(cluster.key("presence:ci-agent")) != null,
                              "presence of the agent");
            try (WsTestClient asUser = cluster.user(1, "ci-agent")) {
                assertEquals(4001, agent.awaitClose(TIMEOUT).code());
                assertEquals("ci-agent", user.next("leave", TIMEOUT).msg());
                cluster.awaitTrue(() -> cluster.redis().zscore(cluster.key("pool"), "ci-agent") == null,
                                  "ci-agent out of the pool");
                assertNull(cluster.redis().hget(cluster.key("pairs"), "ci-user"));
                final Envelope self = match(asUser);
                assertEquals("NO_AGENT", self.reason(), self::toString);
                assertEquals("NO_AGENT", match(user).reason());
            }
        }
    }

    @Test
    void aUserIsNeverMatchedWithItselfEvenIfItsIdIsInThePool() throws Exception {
        // An id left in the pool (e.g. written by a node that died before it could clean up).
        cluster.redis().zadd(cluster.key("pool"), 0, "ci-self");
        try (WsTestClient self = cluster.user(0, "ci-self")) {
            // Connecting as a user takes the id out of the pool; even before that, MATCH skips it.
            final Envelope m = match(self);
            assertEquals("NO_AGENT", m.reason(), m::toString);
        }
        try (WsTestClient other = cluster.agent(1, "ci-z-other")) {
            cluster.awaitAgentInPool("ci-z-other");
            cluster.redis().zadd(cluster.key("pool"), 0, "ci-a-self");
            try (WsTestClient self2 = cluster.user(0, "ci-a-self")) {
                assertEquals("ci-z-other", match(self2).msg());
            }
        }
    }
}
