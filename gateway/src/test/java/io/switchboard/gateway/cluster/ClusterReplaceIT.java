package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.GatewayServer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One live connection per userId across the cluster: a connection on node B closes the old one on node A, 4001. */
class ClusterReplaceIT {

    private ClusterTestSupport cluster;
    private List<GatewayServer> nodes;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterTestSupport();
        nodes = cluster.startNodes(2, b -> b);
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void connectionOnAnotherNodeReplacesTheOldOneWith4001() throws Exception {
        try (WsClient agent = WsClient.agent(cluster.clients, nodes.get(1).localAddress(), "agent-r");
             WsClient first = WsClient.user(cluster.clients, nodes.get(0).localAddress(), "user-r")) {
            ClusterSessionIT.awaitTrue(() -> cluster.redis().zscore(cluster.prefix + "pool", "agent-r") != null,
                                       "agent in pool");
            first.send("match", "m", "system", null);
            assertEquals("agent-r", first.next().msg());
            agent.next();
            ClusterSessionIT.awaitTrue(() -> cluster.redis().get(cluster.prefix + "presence:user-r") != null,
                                       "presence of the first connection");
            try (WsClient second = WsClient.user(cluster.clients, nodes.get(1).localAddress(), "user-r")) {
                assertEquals(4001, first.closeStatus().get(5, TimeUnit.SECONDS));
                assertEquals(1L, nodes.get(0).metrics().snapshot().get("connections.replaced"));
                // The pairing survives the move: the new connection chats on.
                second.send("normal", "x", "agent-r", "moved");
                assertEquals("moved", agent.next().msg());
                assertEquals("push success", second.next().msg());
                ClusterSessionIT.awaitTrue(() -> cluster.redis().get(cluster.prefix + "presence:user-r")
                                                        .startsWith("node-2|"), "presence on node 2");
            }
        }
    }
}
