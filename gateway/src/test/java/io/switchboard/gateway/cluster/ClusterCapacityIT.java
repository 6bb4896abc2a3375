package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Many users on three nodes race to match: no agent ever gets more users than its capacity. */
class ClusterCapacityIT {

    private static final int CAPACITY = 2;
    private static final int USERS_PER_NODE = 12;

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(3).with(b -> b.agentCapacity(CAPACITY));

    @Test
    void concurrentMatchesFromAllNodesNeverExceedCapacity() throws Exception {
        for (int i = 0; i < 3; i++) {
            cluster.agent(i, "cap-agent-" + i);
        }
        cluster.awaitTrue(() -> cluster.redis().zcard(cluster.key("pool")) == 3, "3 agents online");
        final List<WsTestClient> users = new ArrayList<>();
        for (int i = 0; i < 3 * USERS_PER_NODE; i++) {
            users.add(cluster.user(i % 3, "cap-user-" + i));
        }
        // All at once: the sends race across nodes and loops into the one match script.
        for (WsTestClient u : users) {
            u.send(Envelope.client("match", "m", "system", null));
        }
        final Map<String, Integer> perAgent = new HashMap<>();
        int noAgent = 0;
        for (WsTestClient u : users) {
            final Envelope answer = u.nextOfType("match", TIMEOUT);
            if ("0".equals(answer.code())) {
                perAgent.merge(answer.msg(), 1, Integer::sum);
            } else {
                assertEquals("NO_AGENT", answer.reason());
                noAgent++;
            }
        }
        assertEquals(3 * CAPACITY, perAgent.values().stream().mapToInt(Integer::intValue).sum(), perAgent.toString());
        perAgent.forEach((agent, n) -> assertTrue(n <= CAPACITY, agent + " has " + n + " users"));
        assertEquals(3 * USERS_PER_NODE - 3 * CAPACITY, noAgent);
        assertEquals(3L * CAPACITY, cluster.redis().hlen(cluster.key("pairs")));
        for (int i = 0; i < 3; i++) {
            final String agent = "cap-agent-" + i;
            assertEquals((double) CAPACITY, cluster.redis().zscore(cluster.key("pool"), agent));
            assertEquals(CAPACITY, cluster.redis().scard(cluster.key("agent:" + agent + ":users")));
        }
    }
}
