package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A chat across two gateway nodes while the Redis master that holds the recipient's keys fails and a replica takes
 * over (issue #13): every message answered code "0" reaches the recipient, before and after the promotion, and the
 * chat goes on. The topologies differ only in how the master is failed ({@link #failOver}); the scenario is one.
 */
abstract class FailoverScenario {

    private static final String USER = "fo-user";
    private static final String AGENT = "fo-agent";
    /** How long sends may be refused (UNAVAILABLE) while the replica takes over. */
    private static final Duration SWITCH_BOUND = Duration.ofSeconds(30);

    /** The cluster under test: two nodes on a Redis deployment of the test's own. */
    abstract ClusterExtension cluster();

    /** Stops (kills) the Redis master that owns {@code key} and returns once a replica has taken its place. */
    abstract void failOver(String key) throws Exception;

    @Test
    void nothingAnsweredZeroIsLostAndTheChatGoesOn() throws Exception {
        final ClusterExtension cluster = cluster();
        final WsTestClient agent = cluster.agent(1, AGENT);
        final WsTestClient user = pairedUser(cluster, agent);

        final Set<String> promised = new LinkedHashSet<>();
        // Live, across nodes.
        for (int i = 1; i <= 5; i++) {
            assertEquals("0", send(user, "live-" + i).code());
            promised.add("live-" + i);
        }
        final List<String> received = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            received.add(agent.next("normal", TIMEOUT).msgId());
        }
        // Held in Redis while the agent is away (within its grace period): writes that back a promise.
        agent.close();
        cluster.awaitTrue(() -> cluster.redis().get(cluster.key("presence:" + AGENT)) == null, "agent gone");
        for (int i = 1; i <= 20; i++) {
            final Envelope receipt = send(user, "held-" + i);
            assertEquals("0", receipt.code(), "held-" + i + ": " + receipt);
            promised.add("held-" + i);
        }

        failOver(cluster.key("hold:" + AGENT));

        // The chat goes on: within a bound, sends are answered code "0" again (refusals in between are honest).
        chatGoesOn(user, promised);
        // The agent comes back (on the other node) and gets everything it was promised, held first, in order.
        final WsTestClient back = cluster.agent(0, AGENT);
        final Set<String> got = new LinkedHashSet<>(received);
        while (!got.containsAll(promised)) {
            final Envelope e = back.next(Duration.ofSeconds(15));
            if ("normal".equals(e.type())) {
                got.add(e.msgId());
            }
        }
        final List<String> heldOrder = got.stream().filter(id -> id.startsWith("held-")).toList();
        final List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            expected.add("held-" + i);
        }
        assertEquals(expected, heldOrder, "held messages in the order they were sent");
        // And the pairing survived: no re-match, the user still talks to the same agent.
        assertEquals("0", send(user, "last").code());
        assertEquals("last", back.next("normal", TIMEOUT).msgId());
    }

    @Test
    void aLiveChatGoesOnWhenTheRecipientNodesChannelFailsOver() throws Exception {
        final ClusterExtension cluster = cluster();
        final WsTestClient agent = cluster.agent(1, AGENT);
        final WsTestClient user = pairedUser(cluster, agent);
        final Set<String> promised = new LinkedHashSet<>();
        for (int i = 1; i <= 5; i++) {
            assertEquals("0", send(user, "before-" + i).code());
            promised.add("before-" + i);
        }

        // The shard that carries node-2's channel fails over: node-2 must find its subscription gone and subscribe
        // again on the new master, and what was published meanwhile to nobody must reach the agent anyway.
        failOver(cluster.nodeChannel(1));

        chatGoesOn(user, promised);
        final Set<String> got = new LinkedHashSet<>();
        while (!got.containsAll(promised)) {
            final Envelope e = agent.next(Duration.ofSeconds(15));
            if ("normal".equals(e.type())) {
                got.add(e.msgId());
            }
        }
        afterChannelFailover(cluster);
    }

    /** What else a topology checks once the chat went on after node-2's channel failed over. */
    void afterChannelFailover(ClusterExtension cluster) throws Exception {
    }

    /** The agent (connected to node 2 by the caller) matched with a new user on node 1; returns the user. */
    private static WsTestClient pairedUser(ClusterExtension cluster, WsTestClient agent) throws InterruptedException {
        cluster.awaitAgentInPool(AGENT);
        final WsTestClient user = cluster.user(0, USER);
        user.send(Envelope.client("match", "m", "system", null));
        assertEquals(AGENT, user.next("match", TIMEOUT).msg());
        assertEquals(USER, agent.next("match", TIMEOUT).msg());
        return user;
    }

    /**
     * Sends until ten messages are answered code "0" (refusals while the replica takes over are honest), within
     * {@link #SWITCH_BOUND}; adds those to {@code promised}.
     */
    private static void chatGoesOn(WsTestClient user, Set<String> promised) {
        final long deadline = System.nanoTime() + SWITCH_BOUND.toNanos();
        int after = 0;
        int attempt = 0;
        while (after < 10) {
            assertTrue(System.nanoTime() < deadline, "no code 0 answer within " + SWITCH_BOUND + " of the failover");
            final String id = "after-" + ++attempt;
            if ("0".equals(send(user, id).code())) {
                promised.add(id);
                after++;
            }
        }
    }

    /** Sends a normal message to the agent and returns its receipt. */
    private static Envelope send(WsTestClient user, String msgId) {
        user.send(Envelope.client("normal", msgId, AGENT, "msg " + msgId));
        return user.next("receipt", TIMEOUT);
    }
}
