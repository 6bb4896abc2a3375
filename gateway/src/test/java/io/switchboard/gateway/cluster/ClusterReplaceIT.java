package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One live connection per userId across the cluster: a connection on node B closes the old one on node A, 4001. */
class ClusterReplaceIT {

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2);

    @Test
    void connectionOnAnotherNodeReplacesTheOldOneWith4001() throws Exception {
        try (WsTestClient agent = cluster.agent(1, "agent-r");
             WsTestClient first = cluster.user(0, "user-r")) {
            cluster.awaitAgentInPool("agent-r");
            first.send(Envelope.client("match", "m", "system", null));
            assertEquals("agent-r", first.next(TIMEOUT).msg());
            agent.next(TIMEOUT);
            cluster.awaitTrue(() -> cluster.redis().get(cluster.key("presence:user-r")) != null,
                              "presence of the first connection");
            try (WsTestClient second = cluster.user(1, "user-r")) {
                assertEquals(4001, first.awaitClose(TIMEOUT).code());
                assertEquals(1.0, cluster.node(0).http().metric("switchboard_connections_replaced_total"));
                // The pairing survives the move: the new connection chats on.
                second.send(Envelope.client("normal", "x", "agent-r", "moved"));
                assertEquals("moved", agent.next(TIMEOUT).msg());
                assertEquals("push success", second.next(TIMEOUT).msg());
                cluster.awaitTrue(() -> cluster.redis().get(cluster.key("presence:user-r")).startsWith("node-2|"),
                                  "presence on node 2");
            }
        }
    }
}
