package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Many users on three nodes race to match: no agent ever gets more users than its capacity. */
class ClusterCapacityIT {

    private static final int CAPACITY = 2;
    private static final int USERS_PER_NODE = 12;
    private ClusterTestSupport cluster;
    private List<GatewayServer> nodes;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterTestSupport();
        nodes = cluster.startNodes(3, b -> b.agentCapacity(CAPACITY));
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void concurrentMatchesFromAllNodesNeverExceedCapacity() throws Exception {
        final List<WsClient> agents = new ArrayList<>();
        final List<WsClient> users = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                agents.add(WsClient.agent(cluster.clients, nodes.get(i).localAddress(), "cap-agent-" + i));
            }
            ClusterSessionIT.awaitTrue(() -> cluster.redis().zcard(cluster.prefix + "pool") == 3, "3 agents online");
            for (int i = 0; i < 3 * USERS_PER_NODE; i++) {
                users.add(WsClient.user(cluster.clients, nodes.get(i % 3).localAddress(), "cap-user-" + i));
            }
            // All at once: the sends race across nodes and loops into the one match script.
            for (WsClient u : users) {
                u.send("match", "m", "system", null);
            }
            final Map<String, Integer> perAgent = new HashMap<>();
            int noAgent = 0;
            for (WsClient u : users) {
                final Envelope answer = u.nextOfType("match", Duration.ofSeconds(10));
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
            assertEquals(3L * CAPACITY, cluster.redis().hlen(cluster.prefix + "pairs"));
            for (int i = 0; i < 3; i++) {
                final String agent = "cap-agent-" + i;
                assertEquals((double) CAPACITY, cluster.redis().zscore(cluster.prefix + "pool", agent));
                assertEquals(CAPACITY, cluster.redis().scard(cluster.prefix + "agent:" + agent + ":users"));
            }
        } finally {
            users.forEach(WsClient::close);
            agents.forEach(WsClient::close);
        }
    }
}
