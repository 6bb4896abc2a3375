package io.switchboard.gateway.service;

import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROTOCOL.md §6 on one gateway, through real sockets: agent status, the waiting queue, transfer, typing, read marks
 * and history, each rule as a client sees it.
 */
class CustomerServiceIT {

    private static final Duration QUIET = Duration.ofMillis(300);

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(b -> b.agentCapacity(1));

    private static void send(WsTestClient client, String type, String msgId, String to, String msg) {
        client.send(Envelope.client(type, msgId, to, msg));
    }

    private WsTestClient agent(String id) {
        return gateway.connect(gateway.agent(id));
    }

    private WsTestClient user(String id) {
        return gateway.connect(gateway.user(id));
    }

    /** Matches {@code user} with {@code agent}, which must be the only one with room. */
    private static void pair(WsTestClient user, WsTestClient agent, String agentId) {
        send(user, "match", null, "system", null);
        assertEquals(agentId, user.next("match", TIMEOUT).msg());
        agent.next("match", TIMEOUT);
    }

    // --- status

    @Test
    void anAwayAgentGetsNoNewUsersUntilAvailableAgain() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1"); WsTestClient u2 = user("u2")) {
            send(a1, "status", "s1", null, "away");
            final Envelope away = a1.next("status", TIMEOUT);
            assertEquals("0", away.code());
            assertEquals("away", away.msg());
            assertEquals("s1", away.msgId());

            send(u1, "match", null, "system", null);
            final Envelope none = u1.next("match", TIMEOUT);
            assertEquals("1", none.code());
            assertEquals("NO_AGENT", none.reason());

            // A waiting user is matched as soon as the agent is available again.
            send(u2, "match", "q", "system", "queue");
            assertEquals("1", u2.next("queue", TIMEOUT).msg());
            send(a1, "status", null, null, "available");
            assertEquals("available", a1.next("status", TIMEOUT).msg());
            assertEquals("u2", a1.next("match", TIMEOUT).msg());
            assertEquals("a1", u2.next("match", TIMEOUT).msg());
        }
    }

    @Test
    void anAwayAgentKeepsItsConversation() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            pair(u1, a1, "a1");
            send(a1, "status", null, null, "away");
            a1.next("status", TIMEOUT);
            send(u1, "normal", "m1", "a1", "still there?");
            assertEquals("push success", u1.next("receipt", TIMEOUT).msg());
            assertEquals("still there?", a1.next("normal", TIMEOUT).msg());
        }
    }

    @Test
    void statusFromAUserOrAnUnknownStateFails() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            send(u1, "status", "s", null, "away");
            final Envelope fromUser = u1.next("status", TIMEOUT);
            assertEquals("1", fromUser.code());
            assertEquals("NOT_AN_AGENT", fromUser.reason());
            send(a1, "status", "s", null, "lunch");
            final Envelope unknown = a1.next("status", TIMEOUT);
            assertEquals("1", unknown.code());
            assertEquals("UNKNOWN_STATUS", unknown.reason());
        }
    }

    @Test
    void anAgentIsAvailableAgainWhenItReconnects() {
        try (WsTestClient u1 = user("u1")) {
            try (WsTestClient a1 = agent("a1")) {
                send(a1, "status", null, null, "away");
                a1.next("status", TIMEOUT);
            }
            try (WsTestClient a1 = agent("a1")) {
                send(u1, "match", null, "system", null);
                assertEquals("a1", u1.next("match", TIMEOUT).msg());
            }
        }
    }

    // --- the waiting queue

    @Test
    void theQueueIsFifoWithExactPositions() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u0 = user("u0");
             WsTestClient u1 = user("u1"); WsTestClient u2 = user("u2"); WsTestClient u3 = user("u3")) {
            pair(u0, a1, "a1");
            final List<WsTestClient> waiting = List.of(u1, u2, u3);
            for (int i = 0; i < waiting.size(); i++) {
                send(waiting.get(i), "match", "q" + i, "system", "queue");
                final Envelope queued = waiting.get(i).next("queue", TIMEOUT);
                assertEquals("0", queued.code());
                assertEquals(Integer.toString(i + 1), queued.msg());
                assertEquals("q" + i, queued.msgId());
            }
            // Asking again while waiting answers the same place, and does not queue twice.
            send(u2, "match", "again", "system", "queue");
            assertEquals("2", u2.next("queue", TIMEOUT).msg());

            // The agent's conversation ends: the head is matched, everyone behind moves up by one.
            send(a1, "leave", null, "u0", null);
            a1.next("receipt", TIMEOUT);
            u0.next("leave", TIMEOUT);
            assertEquals("u1", a1.next("match", TIMEOUT).msg());
            assertEquals("a1", u1.next("match", TIMEOUT).msg());
            assertEquals("1", u2.next("queue", TIMEOUT).msg());
            assertEquals("2", u3.next("queue", TIMEOUT).msg());

            // A waiting user that leaves the queue: those behind it move up; it gets nothing more.
            send(u2, "leave", "l", null, null);
            final Envelope left = u2.next("receipt", TIMEOUT);
            assertEquals("0", left.code());
            assertEquals("1", u3.next("queue", TIMEOUT).msg());
            send(u1, "leave", null, null, null);
            u1.next("receipt", TIMEOUT);
            assertEquals("u3", a1.nextOfType("match", TIMEOUT).msg());
            assertEquals("a1", u3.next("match", TIMEOUT).msg());
            u2.assertNoMessage(QUIET);
        }
    }

    @Test
    void aNewUserDoesNotJumpTheQueue() {
        try (WsTestClient u1 = user("u1"); WsTestClient u2 = user("u2")) {
            send(u1, "match", null, "system", "queue");
            assertEquals("1", u1.next("queue", TIMEOUT).msg());
            try (WsTestClient a1 = agent("a1")) {
                // The agent's arrival serves the head first.
                assertEquals("u1", a1.next("match", TIMEOUT).msg());
                assertEquals("a1", u1.next("match", TIMEOUT).msg());
                send(u2, "match", null, "system", null);
                assertEquals("NO_AGENT", u2.next("match", TIMEOUT).reason());
            }
        }
    }

    @Test
    void theQueueIsBoundedAndEachWaitIsTimeLimited() {
        gateway.start(b -> b.queueMax(1).queueTimeout(Duration.ofMillis(1500)));
        try (WsTestClient u1 = user("u1"); WsTestClient u2 = user("u2")) {
            send(u1, "match", null, "system", "queue");
            assertEquals("1", u1.next("queue", TIMEOUT).msg());
            send(u2, "match", "m2", "system", "queue");
            final Envelope full = u2.next("match", TIMEOUT);
            assertEquals("1", full.code());
            assertEquals("QUEUE_FULL", full.reason());
            assertEquals("m2", full.msgId());

            final Envelope timedOut = u1.next("match", Duration.ofSeconds(5));
            assertEquals("1", timedOut.code());
            assertEquals("QUEUE_TIMEOUT", timedOut.reason());
            // Its place is free again.
            send(u2, "match", null, "system", "queue");
            assertEquals("1", u2.next("queue", TIMEOUT).msg());
        }
    }

    @Test
    void aQueuedUserKeepsItsPlaceAcrossAReconnectWithinGrace() {
        try (WsTestClient u1 = user("u1"); WsTestClient u2 = user("u2")) {
            send(u1, "match", null, "system", "queue");
            u1.next("queue", TIMEOUT);
            send(u2, "match", null, "system", "queue");
            assertEquals("2", u2.next("queue", TIMEOUT).msg());
        }
        try (WsTestClient u1 = user("u1")) {
            send(u1, "match", null, "system", "queue");
            assertEquals("1", u1.next("queue", TIMEOUT).msg());
            try (WsTestClient a1 = agent("a1")) {
                assertEquals("u1", a1.next("match", TIMEOUT).msg());
                assertEquals("a1", u1.next("match", TIMEOUT).msg());
            }
        }
    }

    @Test
    void aQueuedUserGoneForGoodLeavesTheQueue() {
        gateway.start(b -> b.reconnectGrace(Duration.ofMillis(200)));
        try (WsTestClient u2 = user("u2")) {
            try (WsTestClient u1 = user("u1")) {
                send(u1, "match", null, "system", "queue");
                u1.next("queue", TIMEOUT);
                send(u2, "match", null, "system", "queue");
                assertEquals("2", u2.next("queue", TIMEOUT).msg());
            }
            assertEquals("1", u2.next("queue", TIMEOUT).msg());
        }
    }

    @Test
    void usersWhoQueuedGoBackToTheHeadWhenTheirAgentIsGoneForGood() {
        gateway.start(b -> b.reconnectGrace(Duration.ofMillis(300)).agentCapacity(2));
        try (WsTestClient u1 = user("u1"); WsTestClient u2 = user("u2"); WsTestClient u3 = user("u3");
             WsTestClient u4 = user("u4")) {
            try (WsTestClient a1 = agent("a1")) {
                send(u1, "match", null, "system", "queue");
                assertEquals("a1", u1.next("match", TIMEOUT).msg());
                send(u2, "match", null, "system", null);
                assertEquals("a1", u2.next("match", TIMEOUT).msg());
                send(u3, "match", null, "system", "queue");
                assertEquals("1", u3.next("queue", TIMEOUT).msg());
            }
            // a1 does not come back: u1 (who asked to wait) goes back to the head, ahead of u3; u2 just gets leave.
            assertEquals("a1", u1.next("leave", TIMEOUT).msg());
            assertEquals("1", u1.next("queue", TIMEOUT).msg());
            assertEquals("a1", u2.next("leave", TIMEOUT).msg());
            assertEquals("2", u3.next("queue", TIMEOUT).msg());
            try (WsTestClient a2 = agent("a2")) {
                assertEquals("u1", a2.next("match", TIMEOUT).msg());
                assertEquals("u3", a2.next("match", TIMEOUT).msg());
                assertEquals("a2", u1.next("match", TIMEOUT).msg());
                assertEquals("a2", u3.next("match", TIMEOUT).msg());
                u2.assertNoMessage(QUIET);
                u4.assertNoMessage(Duration.ZERO);
            }
        }
    }

    @Test
    void theQueueSurvivesARestart(@TempDir Path dataDir) {
        gateway.start(b -> b.dataDir(dataDir.toString()));
        try (WsTestClient u1 = user("u1"); WsTestClient u2 = user("u2")) {
            send(u1, "match", null, "system", "queue");
            assertEquals("1", u1.next("queue", TIMEOUT).msg());
            send(u2, "match", null, "system", "queue");
            assertEquals("2", u2.next("queue", TIMEOUT).msg());
        }
        gateway.start(b -> b.dataDir(dataDir.toString()));
        try (WsTestClient u2 = user("u2")) {
            // u2 keeps its place behind u1, who has the reconnect grace period to come back.
            send(u2, "match", null, "system", "queue");
            assertEquals("2", u2.next("queue", TIMEOUT).msg());
            try (WsTestClient a1 = agent("a1")) {
                assertEquals("u1", a1.next("match", TIMEOUT).msg());
                assertEquals("1", u2.next("queue", TIMEOUT).msg());
            }
            try (WsTestClient u1 = user("u1")) {
                assertEquals("a1", u1.next("match", TIMEOUT).msg()); // held for it
            }
        }
    }

    @Test
    void withoutQueueTheAnswerIsStillNoAgent() {
        try (WsTestClient u1 = user("u1")) {
            send(u1, "match", null, "system", null);
            assertEquals("NO_AGENT", u1.next("match", TIMEOUT).reason());
            u1.assertNoMessage(QUIET);
        }
    }

    // --- transfer

    @Test
    void aTransferMovesTheUserAndTheConversationGoesOn() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            pair(u1, a1, "a1");
            send(u1, "normal", "m1", "a1", "hello");
            u1.next("receipt", TIMEOUT);
            a1.next("normal", TIMEOUT);
            try (WsTestClient a2 = agent("a2")) {
                send(a1, "transfer", "t1", "u1", "a2");
                assertEquals("u1", a1.next("leave", TIMEOUT).msg());
                final Envelope answer = a1.next("transfer", TIMEOUT);
                assertEquals("0", answer.code());
                assertEquals("a2", answer.msg());
                assertEquals("t1", answer.msgId());
                assertEquals("u1", a2.next("match", TIMEOUT).msg());
                assertEquals("a2", u1.next("match", TIMEOUT).msg());

                send(u1, "normal", "m2", "a2", "are you the new one?");
                assertEquals("push success", u1.next("receipt", TIMEOUT).msg());
                assertEquals("are you the new one?", a2.next("normal", TIMEOUT).msg());
                send(u1, "normal", "m3", "a1", "old agent?");
                assertEquals("NOT_PAIRED", u1.next("receipt", TIMEOUT).reason());

                // The new agent sees what was said before the transfer.
                send(a2, "history", "h", "u1", "10");
                assertEquals("hello", a2.next("history", TIMEOUT).msg());
                assertEquals("are you the new one?", a2.next("history", TIMEOUT).msg());
                assertEquals("2", a2.next("receipt", TIMEOUT).msg());
            }
        }
    }

    @Test
    void aTransferToAnyGoesToTheLeastLoadedOtherAvailableAgent() {
        gateway.start(b -> b.agentCapacity(3));
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            pair(u1, a1, "a1");
            try (WsTestClient a2 = agent("a2"); WsTestClient a3 = agent("a3"); WsTestClient u2 = user("u2")) {
                send(u2, "match", null, "system", null);
                final String busy = u2.next("match", TIMEOUT).msg(); // a2 or a3: one user each now
                send(a1, "transfer", null, "u1", "");
                a1.next("leave", TIMEOUT);
                final String to = a1.next("transfer", TIMEOUT).msg();
                assertEquals(busy.equals("a2") ? "a3" : "a2", to);
            }
        }
    }

    @Test
    void transferFailures() {
        try (WsTestClient a1 = agent("a1"); WsTestClient a2 = agent("a2"); WsTestClient u1 = user("u1");
             WsTestClient u2 = user("u2")) {
            pair(u1, a1, "a1");
            send(u2, "match", null, "system", null);
            assertEquals("a2", u2.next("match", TIMEOUT).msg());
            a2.next("match", TIMEOUT);

            send(a1, "transfer", "x", "u2", "a2"); // not its user
            assertEquals("NOT_PAIRED", a1.next("transfer", TIMEOUT).reason());
            send(a1, "transfer", "x", "u1", "nobody");
            assertEquals("UNKNOWN_AGENT", a1.next("transfer", TIMEOUT).reason());
            send(a1, "transfer", "x", "u1", "a1");
            assertEquals("UNKNOWN_AGENT", a1.next("transfer", TIMEOUT).reason());
            send(a1, "transfer", "x", "u1", "a2"); // a2 is at capacity (1)
            final Envelope full = a1.next("transfer", TIMEOUT);
            assertEquals("1", full.code());
            assertEquals("NO_AGENT", full.reason());
            send(a1, "transfer", "x", "u1", "");
            assertEquals("NO_AGENT", a1.next("transfer", TIMEOUT).reason());
            send(u1, "transfer", "x", "u1", "a2");
            assertEquals("NOT_AN_AGENT", u1.next("transfer", TIMEOUT).reason());
            // Nothing moved.
            send(u1, "normal", null, "a1", "still yours");
            assertEquals("push success", u1.next("receipt", TIMEOUT).msg());
        }
    }

    @Test
    void aTransferFreesRoomForTheHeadOfTheQueue() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1"); WsTestClient u2 = user("u2")) {
            pair(u1, a1, "a1");
            send(u2, "match", null, "system", "queue");
            assertEquals("1", u2.next("queue", TIMEOUT).msg());
            try (WsTestClient a2 = agent("a2")) {
                // a2's arrival takes u2 from the queue; then a1 cannot hand u1 to a2 (full).
                assertEquals("u2", a2.next("match", TIMEOUT).msg());
                u2.next("match", TIMEOUT);
                send(a1, "transfer", null, "u1", "a2");
                assertEquals("NO_AGENT", a1.next("transfer", TIMEOUT).reason());
            }
        }
    }

    // --- typing and read

    @Test
    void typingReachesTheLivePeerAndIsNeverHeld() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            pair(u1, a1, "a1");
            send(u1, "typing", null, "a1", null);
            final Envelope typing = a1.next("typing", TIMEOUT);
            assertEquals("u1", typing.from());
            assertEquals("a1", typing.to());
            u1.assertNoMessage(QUIET); // no answer on success
            send(a1, "typing", null, "u1", null);
            assertEquals("a1", u1.next("typing", TIMEOUT).from());

            send(u1, "typing", "t", "someone", null);
            final Envelope notPaired = u1.next("typing", TIMEOUT);
            assertEquals("1", notPaired.code());
            assertEquals("NOT_PAIRED", notPaired.reason());
        }
        // Typing to a peer that is offline is dropped, not held.
        try (WsTestClient u1 = user("u1")) {
            send(u1, "typing", null, "a1", null);
            u1.assertNoMessage(QUIET);
        }
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            send(u1, "normal", "after", "a1", "marker");
            u1.next("receipt", TIMEOUT);
            assertEquals("normal", a1.next(TIMEOUT).type()); // the marker, no typing before it
        }
    }

    @Test
    void readMarksReachThePeerAndOnlyTheNewestIsHeld() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            pair(u1, a1, "a1");
            send(a1, "normal", "m1", "u1", "one");
            a1.next("receipt", TIMEOUT);
            u1.next("normal", TIMEOUT);
            send(u1, "read", null, "a1", "m1");
            final Envelope read = a1.next("read", TIMEOUT);
            assertEquals("u1", read.from());
            assertEquals("m1", read.msg());
            u1.assertNoMessage(QUIET);
            send(u1, "read", "r", "a1", "");
            assertEquals("EMPTY_MSG", u1.next("read", TIMEOUT).reason());
        }
        // The agent is away (within grace): only the newest read mark waits for it, after the held messages.
        try (WsTestClient u1 = user("u1")) {
            send(u1, "normal", "m2", "a1", "two");
            assertEquals("stored offline", u1.next("receipt", TIMEOUT).msg());
            send(u1, "read", null, "a1", "m2");
            send(u1, "read", null, "a1", "m3");
            send(u1, "ping", "p", null, null);
            u1.next("pong", TIMEOUT);
        }
        try (WsTestClient a1 = agent("a1")) {
            assertEquals("two", a1.next("normal", TIMEOUT).msg());
            final Envelope read = a1.next("read", TIMEOUT);
            assertEquals("m3", read.msg());
            a1.assertNoMessage(QUIET);
        }
    }

    // --- history

    @Test
    void historyAnswersTheLastMessagesOldestFirstThenACount() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            pair(u1, a1, "a1");
            for (int i = 1; i <= 25; i++) {
                final WsTestClient from = i % 2 == 0 ? a1 : u1;
                send(from, "normal", "m" + i, from == a1 ? "u1" : "a1", "text " + i);
                from.next("receipt", TIMEOUT);
                (from == a1 ? u1 : a1).next("normal", TIMEOUT);
            }
            send(u1, "history", "h1", null, null);
            final List<Envelope> entries = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                entries.add(u1.next("history", TIMEOUT));
            }
            final Envelope receipt = u1.next("receipt", TIMEOUT);
            assertEquals("h1", receipt.msgId());
            assertEquals("20", receipt.msg());
            assertEquals("text 6", entries.get(0).msg());
            assertEquals("m6", entries.get(0).msgId());
            assertEquals("u1", entries.get(1).from());
            assertEquals("a1", entries.get(1).to());
            assertEquals("text 25", entries.get(19).msg());

            // An agent with exactly one user may omit to.
            send(a1, "history", "h2", null, "3");
            assertEquals("text 23", a1.next("history", TIMEOUT).msg());
            a1.next("history", TIMEOUT);
            a1.next("history", TIMEOUT);
            assertEquals("3", a1.next("receipt", TIMEOUT).msg());

            for (String bad : new String[] {"0", "101", "x", "-1"}) {
                send(u1, "history", "hb", null, bad);
                final Envelope refused = u1.next("receipt", TIMEOUT);
                assertEquals("1", refused.code(), bad);
                assertEquals("BAD_MESSAGE", refused.reason());
            }
            send(a1, "history", "hx", "u9", "5");
            assertEquals("NOT_PAIRED", a1.next("receipt", TIMEOUT).reason());
        }
    }

    @Test
    void historyOutlivesTheConversationAndANewPairingStartsAFreshOne() {
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            pair(u1, a1, "a1");
            send(u1, "normal", "m1", "a1", "first conversation");
            u1.next("receipt", TIMEOUT);
            a1.next("normal", TIMEOUT);
            send(u1, "leave", null, null, null);
            u1.next("receipt", TIMEOUT);
            a1.next("leave", TIMEOUT);
            // A reload after the conversation ended still shows it (retention).
            send(u1, "history", "h", null, null);
            assertEquals("first conversation", u1.next("history", TIMEOUT).msg());
            assertEquals("1", u1.next("receipt", TIMEOUT).msg());

            pair(u1, a1, "a1");
            send(u1, "history", "h", null, null);
            assertEquals("0", u1.next("receipt", TIMEOUT).msg());
        }
    }

    @Test
    void historySurvivesARestart(@TempDir Path dataDir) {
        gateway.start(b -> b.dataDir(dataDir.toString()));
        try (WsTestClient a1 = agent("a1"); WsTestClient u1 = user("u1")) {
            pair(u1, a1, "a1");
            send(u1, "normal", "m1", "a1", "before the restart");
            u1.next("receipt", TIMEOUT);
            a1.next("normal", TIMEOUT);
        }
        gateway.start(b -> b.dataDir(dataDir.toString())); // stops the first gracefully
        try (WsTestClient u1 = user("u1")) {
            send(u1, "history", "h", null, null);
            final Envelope entry = u1.next("history", TIMEOUT);
            assertEquals("before the restart", entry.msg());
            assertEquals("m1", entry.msgId());
            assertNull(entry.reason());
            assertEquals("1", u1.next("receipt", TIMEOUT).msg());
        }
    }
}
