package io.switchboard.gateway.offline;

import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.Conversations;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The slow-consumer policy: a peer that stops reading is not written to past the write-buffer high water mark; its
 * messages are held ("stored offline"), it is closed once unwritable for the slow-consumer timeout, and it gets the
 * held messages when it reconnects.
 */
class SlowConsumerIT {

    private static final int BATCH = 50;
    private static final int MAX_SENDS = 4000;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    /** What the slow peer got back after reconnecting, and what the agent saw on the way. */
    private record Outcome(int firstHeld, int sent, List<Integer> delivered) {}

    @Test
    void peerThatStopsReadingIsHeldForThenClosedAndGetsTheHeldMessagesOnReconnect() throws Exception {
        final Outcome outcome = slowPeerScenario();
        // Everything from the first "stored offline" on reaches the reconnected peer, oldest first, then "after".
        // Messages acked "push success" whose write never completed before the 1013 close come first: they were
        // routed earlier, and a failed write puts them back in their place.
        assertTrue(outcome.delivered().get(0) <= outcome.firstHeld(), () -> "first delivered: " + outcome);
        final Set<Integer> expected = new TreeSet<>();
        for (int i = outcome.firstHeld(); i < outcome.sent(); i++) {
            expected.add(i);
        }
        assertTrue(new TreeSet<>(outcome.delivered()).containsAll(expected),
                   () -> "held messages lost: " + outcome);
    }

    @Test
    void messagesOfASlowPeerAreDeliveredInOrderOnReconnect() throws Exception {
        final Outcome outcome = slowPeerScenario();
        for (int i = 1; i < outcome.delivered().size(); i++) {
            assertTrue(outcome.delivered().get(i - 1) < outcome.delivered().get(i),
                       "out of order: " + outcome.delivered());
        }
    }

    private Outcome slowPeerScenario() throws Exception {
        gateway.start(b -> b.writeBufferLowBytes(8 * 1024).writeBufferHighBytes(16 * 1024)
                                          .slowConsumerTimeout(Duration.ofMillis(300))
                                          .reconnectGrace(Duration.ofSeconds(30))
                                          .ratePerSecond(1_000_000).rateBurst(1_000_000)
                                          .offlineMaxPerUser(MAX_SENDS));
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             RawSocket slow = RawSocket.upgraded(gateway.address(), "/pinter/imserver/u1", 4096)) {
            slow.writeText("{\"type\":\"match\",\"msgId\":\"m\"}");
            assertTrue(slow.readFrame().text().contains("\"msg\":\"t1\""));
            assertEquals("u1", agent.next("match", TIMEOUT).msg());
            final var slowGone = gateway.internals().serverSideClosed("u1");

            // The raw client reads nothing more. Send until the gateway stops writing to it and, once it stayed
            // unwritable for the slow-consumer timeout, closes it.
            final String text = "慢".repeat(4000);
            final Conversations.Flood flood = Conversations.floodUntilClosed(agent, "u1", text, BATCH,
                                                                               MAX_SENDS, slowGone);
            final int firstHeld = flood.firstHeld();
            final int sent = flood.sent();
            assertTrue(firstHeld >= 0, "the gateway kept writing to a peer that reads nothing");

            slowGone.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals("stored offline", Conversations.say(agent, "after", "u1", "later").msg());

            // Back with a good client: the held messages arrive, ending with the last one.
            try (WsTestClient back = gateway.connect(gateway.user("u1"))) {
                final List<Integer> delivered = new ArrayList<>();
                Envelope next;
                while (!"after".equals((next = back.next("normal", TIMEOUT)).msgId())) {
                    delivered.add(Integer.parseInt(next.msgId().substring(1)));
                }
                assertEquals("later", next.msg());
                back.assertNoMessage(Duration.ofMillis(100));
                return new Outcome(firstHeld, sent, delivered);
            }
        }
    }
}
