package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A user and its agent on different nodes: the whole {@code PROTOCOL.md} §4 session, leave, and the Redis hold. */
class ClusterSessionIT {

    private static final String AGENT = "cf2137234f3943e3898df8fcd14f099a__mtx";

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(3);

    @Test
    void protocolSessionAcrossNodes() throws Exception {
        try (WsTestClient agent = cluster.agent(1, AGENT);
             WsTestClient admin = cluster.user(0, "admin")) {
            cluster.awaitAgentInPool(AGENT);
            // §4.2 match
            admin.send(Envelope.client("match", "m1", "system", null));
            final Envelope matched = admin.next(TIMEOUT);
            assertEquals("match", matched.type());
            assertEquals("0", matched.code());
            assertEquals(AGENT, matched.msg());
            final Envelope notice = agent.next(TIMEOUT);
            assertEquals("match", notice.type());
            assertEquals("admin", notice.msg());
            // §4.3 admin → agent, receipt "push success" only once the agent's node wrote it
            admin.send(Envelope.client("normal", "111", AGENT, "你好"));
            final Envelope delivered = agent.next(TIMEOUT);
            assertEquals("normal", delivered.type());
            assertEquals("admin", delivered.from());
            assertEquals("你好", delivered.msg());
            assertEquals("111", delivered.msgId());
            final Envelope receipt = admin.next(TIMEOUT);
            assertEquals("receipt", receipt.type());
            assertEquals("push success", receipt.msg());
            assertEquals("111", receipt.msgId());
            // §4.4 agent → admin
            final String reply = "同学,你好,非常高兴为你服务,有什么需要我帮忙的呢?";
            agent.send(Envelope.client("normal", "222", "admin", reply));
            final Envelope got = admin.next(TIMEOUT);
            assertEquals(AGENT, got.from());
            assertEquals(reply, got.msg());
            assertEquals("push success", agent.next(TIMEOUT).msg());
            // §4.5 empty message
            admin.send(Envelope.client("normal", "333", AGENT, ""));
            final Envelope empty = admin.next(TIMEOUT);
            assertEquals("receipt", empty.type());
            assertEquals("1", empty.code());
            assertEquals("消息内容为空", empty.msg());
            assertEquals("EMPTY_MSG", empty.reason());
            // match is idempotent across the cluster
            admin.send(Envelope.client("match", "m2", "system", null));
            assertEquals(AGENT, admin.next(TIMEOUT).msg());
            agent.assertNoMessage(Duration.ofMillis(200)); // no second match notice
            // leave from the agent's node reaches the user's node, and the pairing is gone everywhere
            agent.send(Envelope.client("leave", "l1", "admin", null));
            assertEquals("receipt", agent.next(TIMEOUT).type());
            final Envelope left = admin.next(TIMEOUT);
            assertEquals("leave", left.type());
            assertEquals(AGENT, left.msg());
            admin.send(Envelope.client("normal", "444", AGENT, "still there?"));
            assertEquals("NOT_PAIRED", admin.next(TIMEOUT).reason());
        }
    }

    @Test
    void heldInRedisAndDeliveredInOrderOnAnotherNode() throws Exception {
        try (WsTestClient agent = cluster.agent(1, "agent-h")) {
            cluster.awaitAgentInPool("agent-h");
            final WsTestClient user = cluster.user(0, "user-h");
            user.send(Envelope.client("match", "m", "system", null));
            assertEquals("agent-h", user.next(TIMEOUT).msg());
            agent.next(TIMEOUT); // match notice
            user.close();
            cluster.awaitTrue(() -> cluster.redis().get(cluster.key("presence:user-h")) == null, "presence removed");
            for (int i = 0; i < 5; i++) {
                agent.send(Envelope.client("normal", "h" + i, "user-h", "held " + i));
                final Envelope receipt = agent.next(TIMEOUT);
                assertEquals("stored offline", receipt.msg(), receipt.toString());
            }
            assertEquals(5L, cluster.redis().llen(cluster.key("hold:user-h")));
            try (WsTestClient back = cluster.user(2, "user-h")) {
                for (int i = 0; i < 5; i++) {
                    final Envelope e = back.next(TIMEOUT);
                    assertEquals("held " + i, e.msg());
                    assertEquals("agent-h", e.from());
                }
                agent.send(Envelope.client("normal", "live", "user-h", "live now"));
                assertEquals("live now", back.next(TIMEOUT).msg());
                assertEquals("push success", agent.next(TIMEOUT).msg());
            }
            assertEquals(0L, cluster.redis().llen(cluster.key("hold:user-h")));
        }
    }
}
