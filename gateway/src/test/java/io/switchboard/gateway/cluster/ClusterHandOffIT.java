package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.Conversations;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What one node holds in its memory for a user (a slow reader's messages, answered "stored offline") does not stay
 * behind when the user's session there ends: it is handed to the cluster, so the user gets it on whichever node it
 * reconnects to.
 */
class ClusterHandOffIT {

    private static final int BATCH = 50;
    private static final int MAX_SENDS = 4000;

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2).with(
            b -> b.writeBufferLowBytes(8 * 1024).writeBufferHighBytes(16 * 1024)
                  .slowConsumerTimeout(Duration.ofMillis(300))
                  .reconnectGrace(Duration.ofSeconds(30))
                  .ratePerSecond(1_000_000).rateBurst(1_000_000)
                  .agentRatePerSecond(1_000_000).agentRateBurst(1_000_000)
                  .offlineMaxPerUser(MAX_SENDS));

    @Test
    void aSlowReadersHeldMessagesFollowItToAnotherNode() throws Exception {
        try (WsTestClient agent = cluster.agent(0, "t1");
             RawSocket slow = RawSocket.upgraded(cluster.node(0).address(), "/pinter/imserver/u1", 4096)) {
            cluster.awaitAgentInPool("t1");
            slow.writeText("{\"type\":\"match\",\"msgId\":\"m\"}");
            assertTrue(slow.readFrame().text().contains("\"msg\":\"t1\""));
            assertEquals("u1", agent.nextOfType("match", TIMEOUT).msg());
            final var slowGone = cluster.node(0).internals().serverSideClosed("u1");

            // The raw client reads nothing more: send until node 0 holds messages for it in its memory and, once it
            // stayed unwritable for the slow-consumer timeout, closes it (1013).
            final String text = "慢".repeat(4000);
            final Conversations.Flood flood = Conversations.floodUntilClosed(agent, "u1", text, BATCH,
                                                                               MAX_SENDS, slowGone);
            final int firstHeld = flood.firstHeld();
            final int sent = flood.sent();
            assertTrue(firstHeld >= 0, "node 0 kept writing to a peer that reads nothing");

            slowGone.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals("stored offline", Conversations.say(agent, "after", "u1", "later").msg());

            // Back on the other node: every message promised as held arrives there, each once, the numbered ones in
            // the order they were sent. "after", sent while node 0 was handing its hold over, may overtake them.
            final TreeSet<Integer> missing = new TreeSet<>();
            for (int i = firstHeld; i < sent; i++) {
                missing.add(i);
            }
            try (WsTestClient back = cluster.user(1, "u1")) {
                final List<Integer> delivered = new ArrayList<>();
                boolean after = false;
                while (!after || !missing.isEmpty()) {
                    final Envelope next = back.nextOfType("normal", TIMEOUT);
                    if ("after".equals(next.msgId())) {
                        assertEquals("later", next.msg());
                        after = true;
                    } else {
                        final int n = Integer.parseInt(next.msgId().substring(1));
                        assertTrue(delivered.isEmpty() || delivered.get(delivered.size() - 1) < n,
                                   () -> "out of order or twice: " + delivered + " then " + n);
                        delivered.add(n);
                        missing.remove(n);
                    }
                }
                back.assertNoMessage(Duration.ofMillis(200));
            }
        }
    }
}
