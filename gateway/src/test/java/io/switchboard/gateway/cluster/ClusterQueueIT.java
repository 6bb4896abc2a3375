package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The waiting queue shared by three nodes ({@code PROTOCOL.md} §6): FIFO when agents on every node free up at the
 * same moment, each user matched exactly once, positions exact; a waiting user keeps its place across a reconnect to
 * another node within the grace period; an agent's status across nodes.
 */
class ClusterQueueIT {

    private static final int AGENTS = 3;
    private static final int WAITING = 9;

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(3).with(
            b -> b.agentCapacity(1).reconnectGrace(Duration.ofSeconds(10)));

    private static void send(WsTestClient client, String type, String msgId, String to, String msg) {
        client.send(Envelope.client(type, msgId, to, msg));
    }

    @Test
    void racingFreesOnThreeNodesServeTheQueueInOrderAndMatchEachUserOnce() throws Exception {
        final List<WsTestClient> agents = new ArrayList<>();
        final String[] current = new String[AGENTS];
        for (int i = 0; i < AGENTS; i++) {
            agents.add(cluster.agent(i, "fair-agent-" + i));
        }
        cluster.awaitTrue(() -> cluster.redis().zcard(cluster.key("pool")) == AGENTS, "3 agents online");
        // Fill every agent: one user each.
        for (int i = 0; i < AGENTS; i++) {
            final WsTestClient first = cluster.user(i, "fair-first-" + i);
            send(first, "match", "m", "system", null);
            assertEquals("0", first.next("match", TIMEOUT).code());
        }
        for (int i = 0; i < AGENTS; i++) {
            current[i] = agents.get(i).nextOfType("match", TIMEOUT).msg();
        }
        // Nine users queue one after the other on the three nodes: that is the queue's order.
        final List<WsTestClient> queued = new ArrayList<>();
        for (int i = 0; i < WAITING; i++) {
            final String id = "fair-q-" + i;
            final WsTestClient user = cluster.user(i % 3, id);
            send(user, "match", "q" + i, "system", "queue");
            final Envelope answer = user.next("queue", TIMEOUT);
            assertEquals("q" + i, answer.msgId());
            assertEquals(Integer.toString(i + 1), answer.msg());
            queued.add(user);
        }
        // Three rounds: all three agents, on three nodes, free up at once; the next three users take them. An agent
        // leaves its user only once that user has its match (see docs/CLUSTER.md, "Limits": a leave sent on the
        // user's node may overtake a match published to it a moment earlier by another node).
        final Set<String> matched = new HashSet<>();
        final int[] last = new int[WAITING];
        for (int i = 0; i < WAITING; i++) {
            last[i] = i + 1;
        }
        for (int round = 0; round < WAITING / AGENTS; round++) {
            for (int i = 0; i < AGENTS; i++) {
                send(agents.get(i), "leave", "l" + round, current[i], null);
            }
            final Set<String> thisRound = new HashSet<>();
            for (int i = 0; i < AGENTS; i++) {
                current[i] = agents.get(i).nextOfType("match", TIMEOUT).msg();
                assertTrue(thisRound.add(current[i]), "one user given to two agents: " + current[i]);
            }
            final Set<String> expected = new HashSet<>();
            for (int k = round * AGENTS; k < (round + 1) * AGENTS; k++) {
                expected.add("fair-q-" + k);
            }
            assertEquals(expected, thisRound, "round " + round + " must take the head of the queue");
            for (int k = round * AGENTS; k < (round + 1) * AGENTS; k++) {
                // What the user saw: strictly smaller places, then its match.
                final WsTestClient user = queued.get(k);
                while (true) {
                    final Envelope e = user.next(TIMEOUT);
                    if ("match".equals(e.type())) {
                        assertEquals("0", e.code(), e.toString());
                        break;
                    }
                    assertEquals("queue", e.type(), "fair-q-" + k + " got " + e);
                    final int position = Integer.parseInt(e.msg());
                    assertTrue(position < last[k], "fair-q-" + k + " was told " + position + " after " + last[k]);
                    last[k] = position;
                }
                assertTrue(last[k] <= AGENTS, "fair-q-" + k + " was matched from position " + last[k]);
            }
            matched.addAll(thisRound);
        }
        assertEquals(WAITING, matched.size());
        for (int i = 0; i < WAITING - AGENTS; i++) {
            // Matched in an earlier round, then left by its agent in the next one: leave, and no second match.
            assertEquals("leave", queued.get(i).next(TIMEOUT).type());
        }
        for (WsTestClient user : queued) {
            user.assertNoMessage(Duration.ofMillis(100));
        }
        assertEquals(0L, cluster.redis().zcard(cluster.key("queue")));
        assertEquals((long) AGENTS, cluster.redis().hlen(cluster.key("pairs")));
    }

    @Test
    void aWaitingUserKeepsItsPlaceAcrossAReconnectToAnotherNode() throws Exception {
        final WsTestClient agent = cluster.agent(0, "grace-agent");
        cluster.awaitAgentInPool("grace-agent");
        final WsTestClient busy = cluster.user(0, "grace-busy");
        send(busy, "match", "m", "system", null);
        assertEquals("0", busy.next("match", TIMEOUT).code());
        assertEquals("grace-busy", agent.next("match", TIMEOUT).msg());
        final WsTestClient first = cluster.user(1, "grace-first");
        send(first, "match", "q", "system", "queue");
        assertEquals("1", first.next("queue", TIMEOUT).msg());
        final WsTestClient second = cluster.user(2, "grace-second");
        send(second, "match", "q", "system", "queue");
        assertEquals("2", second.next("queue", TIMEOUT).msg());

        first.close();
        cluster.awaitTrue(() -> cluster.redis().get(cluster.key("presence:grace-first")) == null, "first gone");
        final WsTestClient back = cluster.user(2, "grace-first");
        send(back, "match", "again", "system", "queue");
        final Envelope place = back.next("queue", TIMEOUT);
        assertEquals("again", place.msgId());
        assertEquals("1", place.msg(), "kept its place");

        send(agent, "leave", "l", "grace-busy", null);
        assertEquals("grace-first", agent.nextOfType("match", TIMEOUT).msg());
        final Envelope matched = back.next("match", TIMEOUT);
        assertEquals("grace-agent", matched.msg());
        assertEquals("1", second.next("queue", TIMEOUT).msg());
    }

    @Test
    void awayAndAvailableAcrossNodes() throws Exception {
        final WsTestClient agent = cluster.agent(0, "status-agent");
        cluster.awaitAgentInPool("status-agent");
        send(agent, "status", "s1", null, "away");
        final Envelope away = agent.next("status", TIMEOUT);
        assertEquals("0", away.code());
        assertEquals("away", away.msg());
        assertTrue(cluster.redis().sismember(cluster.key("away"), "status-agent"));

        final WsTestClient plain = cluster.user(1, "status-plain");
        send(plain, "match", "m", "system", null);
        assertEquals("NO_AGENT", plain.next("match", TIMEOUT).reason());
        final WsTestClient waiting = cluster.user(2, "status-waiting");
        send(waiting, "match", "q", "system", "queue");
        assertEquals("1", waiting.next("queue", TIMEOUT).msg());
        // Every node's gauges show the cluster's queue and agents (refreshed each second).
        final var metrics = cluster.node(2).http();
        cluster.awaitTrue(() -> metrics.metric("switchboard_agents{status=\"away\"}") == 1
                                && metrics.metric("switchboard_agents{status=\"available\"}") == 0
                                && metrics.metric("switchboard_queue_length") == 1, "gauges on node-3");
        send(agent, "status", "s2", null, "available");
        final Envelope back = agent.next(TIMEOUT);
        assertEquals("status", back.type());
        assertEquals("available", back.msg());
        // Going available takes the head of the queue at once.
        assertEquals("status-waiting", agent.next("match", TIMEOUT).msg());
        assertEquals("status-agent", waiting.next("match", TIMEOUT).msg());

        // A user may not set a status; an unknown state is refused.
        send(plain, "status", "s3", null, "away");
        assertEquals("1", plain.next("status", TIMEOUT).code());
        send(agent, "status", "s4", null, "busy");
        assertEquals("1", agent.next("status", TIMEOUT).code());
    }
}
