package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A user and its agent on different nodes: the whole {@code PROTOCOL.md} §4 session, leave, and the Redis hold. */
class ClusterSessionIT {

    private static final String AGENT = "cf2137234f3943e3898df8fcd14f099a__mtx";
    private ClusterTestSupport cluster;
    private List<GatewayServer> nodes;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterTestSupport();
        nodes = cluster.startNodes(3, b -> b);
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void protocolSessionAcrossNodes() throws Exception {
        try (WsClient agent = WsClient.agent(cluster.clients, nodes.get(1).localAddress(), AGENT);
             WsClient admin = WsClient.user(cluster.clients, nodes.get(0).localAddress(), "admin")) {
            awaitPool(AGENT);
            // §4.2 match
            admin.send("match", "m1", "system", null);
            final Envelope matched = admin.next();
            assertEquals("match", matched.type());
            assertEquals("0", matched.code());
            assertEquals(AGENT, matched.msg());
            final Envelope notice = agent.next();
            assertEquals("match", notice.type());
            assertEquals("admin", notice.msg());
            // §4.3 admin → agent, receipt "push success" only once the agent's node wrote it
            admin.send("normal", "111", AGENT, "你好");
            final Envelope delivered = agent.next();
            assertEquals("normal", delivered.type());
            assertEquals("admin", delivered.from());
            assertEquals("你好", delivered.msg());
            assertEquals("111", delivered.msgId());
            final Envelope receipt = admin.next();
            assertEquals("receipt", receipt.type());
            assertEquals("push success", receipt.msg());
            assertEquals("111", receipt.msgId());
            // §4.4 agent → admin
            final String reply = "同学,你好,非常高兴为你服务,有什么需要我帮忙的呢?";
            agent.send("normal", "222", "admin", reply);
            final Envelope got = admin.next();
            assertEquals(AGENT, got.from());
            assertEquals(reply, got.msg());
            assertEquals("push success", agent.next().msg());
            // §4.5 empty message
            admin.send("normal", "333", AGENT, "");
            final Envelope empty = admin.next();
            assertEquals("receipt", empty.type());
            assertEquals("1", empty.code());
            assertEquals("消息内容为空", empty.msg());
            assertEquals("EMPTY_MSG", empty.reason());
            // match is idempotent across the cluster
            admin.send("match", "m2", "system", null);
            assertEquals(AGENT, admin.next().msg());
            assertNull(agent.poll(Duration.ofMillis(200)), "no second match notice");
            // leave from the agent's node reaches the user's node, and the pairing is gone everywhere
            agent.send("leave", "l1", "admin", null);
            assertEquals("receipt", agent.next().type());
            final Envelope left = admin.next();
            assertEquals("leave", left.type());
            assertEquals(AGENT, left.msg());
            admin.send("normal", "444", AGENT, "still there?");
            assertEquals("NOT_PAIRED", admin.next().reason());
        }
    }

    @Test
    void heldInRedisAndDeliveredInOrderOnAnotherNode() throws Exception {
        try (WsClient agent = WsClient.agent(cluster.clients, nodes.get(1).localAddress(), "agent-h")) {
            awaitPool("agent-h");
            final WsClient user = WsClient.user(cluster.clients, nodes.get(0).localAddress(), "user-h");
            user.send("match", "m", "system", null);
            assertEquals("agent-h", user.next().msg());
            agent.next(); // match notice
            user.close();
            awaitNoPresence("user-h");
            for (int i = 0; i < 5; i++) {
                agent.send("normal", "h" + i, "user-h", "held " + i);
                final Envelope receipt = agent.next();
                assertEquals("stored offline", receipt.msg(), receipt.toString());
            }
            assertEquals(5L, cluster.redis().llen(cluster.prefix + "hold:user-h"));
            try (WsClient back = WsClient.user(cluster.clients, nodes.get(2).localAddress(), "user-h")) {
                for (int i = 0; i < 5; i++) {
                    final Envelope e = back.next();
                    assertEquals("held " + i, e.msg());
                    assertEquals("agent-h", e.from());
                }
                agent.send("normal", "live", "user-h", "live now");
                assertEquals("live now", back.next().msg());
                assertEquals("push success", agent.next().msg());
            }
            assertEquals(0L, cluster.redis().llen(cluster.prefix + "hold:user-h"));
        }
    }

    private void awaitPool(String agentId) throws InterruptedException {
        awaitTrue(() -> cluster.redis().zscore(cluster.prefix + "pool", agentId) != null, "agent in pool");
    }

    private void awaitNoPresence(String userId) throws InterruptedException {
        awaitTrue(() -> cluster.redis().get(cluster.prefix + "presence:" + userId) == null, "presence removed");
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20); // polling shared Redis state; there is no event to wait on
        }
    }
}
