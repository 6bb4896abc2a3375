package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A conversation whose sides sit on different nodes ({@code PROTOCOL.md} §6): transfer to an agent on another node
 * (who then reads the history), typing, and read marks kept for an offline peer.
 */
class ClusterConversationIT {

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(3).with(
            b -> b.agentCapacity(2).reconnectGrace(Duration.ofSeconds(10)));

    private static void send(WsTestClient client, String type, String msgId, String to, String msg) {
        client.send(Envelope.client(type, msgId, to, msg));
    }

    /** Sends a normal and checks both ends: the peer gets it, the sender "push success". */
    private static void chat(WsTestClient from, String fromId, WsTestClient to, String toId, String msgId,
                             String text) {
        send(from, "normal", msgId, toId, text);
        final Envelope got = to.next("normal", TIMEOUT);
        assertEquals(fromId, got.from());
        assertEquals(text, got.msg());
        assertEquals("push success", from.next("receipt", TIMEOUT).msg());
    }

    @Test
    void transferToAnAgentOnAnotherNodeKeepsTheConversationAndItsHistory() throws Exception {
        final WsTestClient agentA = cluster.agent(0, "tr-a");
        cluster.awaitAgentInPool("tr-a");
        final WsTestClient user = cluster.user(2, "tr-user");
        send(user, "match", "m", "system", null);
        assertEquals("tr-a", user.next("match", TIMEOUT).msg());
        assertEquals("tr-user", agentA.next("match", TIMEOUT).msg());
        chat(user, "tr-user", agentA, "tr-a", "u1", "hello");
        chat(agentA, "tr-a", user, "tr-user", "a1", "hi, how can I help?");

        final WsTestClient agentB = cluster.agent(1, "tr-b");
        cluster.awaitAgentInPool("tr-b");
        // Refusals: not its user, no such agent, itself.
        send(agentB, "transfer", "t0", "tr-user", "tr-a");
        assertEquals("NOT_PAIRED", agentB.next("transfer", TIMEOUT).reason());
        send(agentA, "transfer", "t1", "tr-user", "nobody");
        assertEquals("UNKNOWN_AGENT", agentA.next("transfer", TIMEOUT).reason());
        send(agentA, "transfer", "t2", "tr-user", "tr-a");
        assertEquals("UNKNOWN_AGENT", agentA.next("transfer", TIMEOUT).reason());

        send(agentA, "transfer", "t3", "tr-user", "tr-b");
        // The answer and the leave notice, in either order.
        final Map<String, Envelope> got = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            final Envelope e = agentA.next(TIMEOUT);
            got.put(e.type(), e);
        }
        assertEquals("0", got.get("transfer").code());
        assertEquals("tr-b", got.get("transfer").msg());
        assertEquals("tr-user", got.get("leave").msg());
        assertEquals("tr-user", agentB.next("match", TIMEOUT).msg());
        assertEquals("tr-b", user.next("match", TIMEOUT).msg());
        assertEquals(1.0, cluster.redis().zscore(cluster.key("pool"), "tr-b"));
        assertEquals(0.0, cluster.redis().zscore(cluster.key("pool"), "tr-a"));

        // The chat continues with the new agent; the old one is no longer paired.
        chat(user, "tr-user", agentB, "tr-b", "u2", "are you still there?");
        chat(agentB, "tr-b", user, "tr-user", "b1", "a colleague here, yes");
        send(agentA, "normal", "a2", "tr-user", "me again");
        assertEquals("NOT_PAIRED", agentA.next("receipt", TIMEOUT).reason());

        // The new agent, on another node, reads what was said before the transfer.
        send(agentB, "history", "h1", "tr-user", "10");
        final List<String> texts = List.of("hello", "hi, how can I help?", "are you still there?",
                                           "a colleague here, yes");
        for (String text : texts) {
            final Envelope entry = agentB.next("history", TIMEOUT);
            assertEquals(text, entry.msg());
        }
        final Envelope done = agentB.next("receipt", TIMEOUT);
        assertEquals("h1", done.msgId());
        assertEquals("4", done.msg());

        // Transfer to "any": the least-loaded other available agent, here back to A.
        send(agentB, "transfer", "t4", "tr-user", "");
        assertEquals("tr-a", agentB.nextOfType("transfer", TIMEOUT).msg());
        assertEquals("tr-user", agentA.nextOfType("match", TIMEOUT).msg());
        assertEquals("tr-a", user.nextOfType("match", TIMEOUT).msg());
        chat(user, "tr-user", agentA, "tr-a", "u3", "back to you");
    }

    @Test
    void typingAndReadAcrossNodesAndTheNewestReadKeptForAnOfflinePeer() throws Exception {
        final WsTestClient agent = cluster.agent(1, "tr-agent");
        cluster.awaitAgentInPool("tr-agent");
        WsTestClient user = cluster.user(0, "tr-reader");
        send(user, "match", "m", "system", null);
        assertEquals("tr-agent", user.next("match", TIMEOUT).msg());
        assertEquals("tr-reader", agent.next("match", TIMEOUT).msg());

        send(user, "typing", "ty1", "tr-agent", null);
        final Envelope typing = agent.next("typing", TIMEOUT);
        assertEquals("tr-reader", typing.from());
        send(agent, "typing", "ty2", "tr-reader", null);
        assertEquals("tr-agent", user.next("typing", TIMEOUT).from());
        chat(user, "tr-reader", agent, "tr-agent", "u1", "question");
        send(agent, "read", "r0", "tr-reader", "u1");
        final Envelope read = user.next("read", TIMEOUT);
        assertEquals("tr-agent", read.from());
        assertEquals("u1", read.msg());

        // The user goes offline (its grace keeps the pairing): a message is held, only the newest read is kept.
        chat(user, "tr-reader", agent, "tr-agent", "u2", "another one");
        user.close();
        cluster.awaitTrue(() -> cluster.redis().get(cluster.key("presence:tr-reader")) == null, "user offline");
        send(agent, "normal", "a1", "tr-reader", "answer while you were away");
        assertEquals("stored offline", agent.next("receipt", TIMEOUT).msg());
        send(agent, "read", "r1", "tr-reader", "u1");
        send(agent, "read", "r2", "tr-reader", "u2");
        send(agent, "typing", "ty3", "tr-reader", null); // live only: never kept
        cluster.awaitTrue(() -> "u2".equals(keptRead()), "the newest read kept");

        user = cluster.user(2, "tr-reader");
        assertEquals("answer while you were away", user.next("normal", TIMEOUT).msg());
        final Envelope kept = user.next("read", TIMEOUT);
        assertEquals("tr-agent", kept.from());
        assertEquals("u2", kept.msg());
        user.assertNoMessage(Duration.ofMillis(300));
        assertEquals(0L, cluster.redis().exists(cluster.key("kept:tr-reader")));
    }

    /** The msg of the read mark kept for tr-reader, or null. */
    private String keptRead() {
        final String json = cluster.redis().hget(cluster.key("kept:tr-reader"), "read|tr-agent");
        if (json == null) {
            return null;
        }
        final int at = json.indexOf("\"msg\":\"");
        return json.substring(at + 7, json.indexOf('"', at + 7));
    }
}
