package io.switchboard.gateway.routing;

import static io.switchboard.gateway.testing.Conversations.assertFailed;
import static io.switchboard.gateway.testing.Conversations.pair;
import static io.switchboard.gateway.testing.Conversations.say;
import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.Conversations;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PROTOCOL.md §3: match, normal and their failures, each with its exact text and reason. */
class RoutingIT {

    private static final Duration QUIET = Duration.ofMillis(200);

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    @Test
    void spoofedFromIsOverwritten() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", agent, "t1");
            user.sendText("{\"type\":\"normal\",\"msgId\":\"s1\",\"from\":\"t1\",\"to\":\"t1\",\"msg\":\"hi\"}");
            assertEquals("push success", user.next("receipt", TIMEOUT).msg());
            assertEquals("u1", agent.next("normal", TIMEOUT).from());
            agent.sendText("{\"type\":\"normal\",\"msgId\":\"s2\",\"from\":\"system\",\"to\":\"u1\",\"msg\":\"hi\"}");
            assertEquals("push success", agent.next("receipt", TIMEOUT).msg());
            assertEquals("t1", user.next("normal", TIMEOUT).from());
        }
    }

    @Test
    void normalWithoutPairingIsNotPaired() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            assertFailed(say(user, "n1", "t1", "hi"), "NOT_PAIRED", "未与对方建立会话");
            assertFailed(say(agent, "n2", "u1", "hi"), "NOT_PAIRED", "未与对方建立会话");
            agent.assertNoMessage(QUIET);
            user.assertNoMessage(Duration.ZERO);
        }
    }

    @Test
    void normalToSomeoneOtherThanThePeerIsNotPaired() throws InterruptedException {
        try (WsTestClient t1 = gateway.connect(gateway.agent("t1"));
             WsTestClient u1 = gateway.connect(gateway.user("u1"))) {
            pair(u1, "u1", t1, "t1");
            try (WsTestClient t2 = gateway.connect(gateway.agent("t2"));
                 WsTestClient u2 = gateway.connect(gateway.user("u2"))) {
                assertFailed(say(u1, "x1", "t2", "hi"), "NOT_PAIRED", "未与对方建立会话");
                assertFailed(say(u1, "x2", "u2", "hi"), "NOT_PAIRED", "未与对方建立会话");
                assertFailed(say(u1, "x3", "u1", "hi"), "NOT_PAIRED", "未与对方建立会话");
                assertFailed(say(t1, "x4", "u2", "hi"), "NOT_PAIRED", "未与对方建立会话");
                assertFailed(say(t1, "x5", "t2", "hi"), "NOT_PAIRED", "未与对方建立会话");
                t2.assertNoMessage(QUIET);
                u2.assertNoMessage(Duration.ZERO);
                t1.assertNoMessage(Duration.ZERO);
            }
        }
    }

    @Test
    void normalWithoutToIsNotPaired() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", agent, "t1");
            user.sendText("{\"type\":\"normal\",\"msgId\":\"n1\",\"msg\":\"hi\"}");
            assertFailed(user.next("receipt", TIMEOUT), "NOT_PAIRED", "未与对方建立会话");
            user.sendText("{\"type\":\"normal\",\"msgId\":\"n2\",\"to\":\"\",\"msg\":\"hi\"}");
            assertFailed(user.next("receipt", TIMEOUT), "NOT_PAIRED", "未与对方建立会话");
            agent.assertNoMessage(QUIET);
        }
    }

    @Test
    void missingOrEmptyMsgIsEmptyMsg() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", agent, "t1");
            user.sendText("{\"type\":\"normal\",\"msgId\":\"e1\",\"to\":\"t1\"}");
            assertFailed(user.next("receipt", TIMEOUT), "EMPTY_MSG", "消息内容为空");
            assertFailed(say(user, "e2", "t1", ""), "EMPTY_MSG", "消息内容为空");
            agent.assertNoMessage(QUIET);
        }
    }

    @Test
    void msgOver4096CharactersIsMsgTooLong() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", agent, "t1");
            assertFailed(say(user, "l1", "t1", "a".repeat(4097)), "MSG_TOO_LONG", "消息内容过长");
            assertFailed(say(user, "l2", "t1", "长".repeat(4097)), "MSG_TOO_LONG", "消息内容过长");
            agent.assertNoMessage(QUIET);

            assertEquals("push success", say(user, "l3", "t1", "a".repeat(4096)).msg());
            assertEquals("a".repeat(4096), agent.next("normal", TIMEOUT).msg());
            // 4096 characters, 12 KiB of UTF-8.
            assertEquals("push success", say(user, "l4", "t1", "长".repeat(4096)).msg());
            assertEquals("长".repeat(4096), agent.next("normal", TIMEOUT).msg());
        }
    }

    @Test
    void senderOverItsRateLimitIsRateLimitedAndNothingIsDelivered() throws InterruptedException {
        gateway.start(b -> b.ratePerSecond(5).rateBurst(5));
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", agent, "t1");
            for (int i = 0; i < 20; i++) {
                user.send(Envelope.client("normal", "r" + i, "t1", "m" + i));
            }
            final Set<String> delivered = new HashSet<>();
            final List<String> limited = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                final Envelope receipt = user.next("receipt", TIMEOUT);
                assertEquals("r" + i, receipt.msgId(), "receipts come in the order of the sends");
                if ("0".equals(receipt.code())) {
                    assertEquals("push success", receipt.msg());
                    delivered.add(receipt.msgId());
                } else {
                    assertFailed(receipt, "RATE_LIMITED", "发送过于频繁");
                    limited.add(receipt.msgId());
                }
            }
            // The burst (minus the match) gets through, then refill at 5/s; 20 sends in well under a second cannot.
            assertTrue(limited.size() >= 10, () -> "only " + limited.size() + " rate limited");
            assertTrue(delivered.size() >= 4, () -> "only " + delivered.size() + " delivered");
            for (int i = 0; i < delivered.size(); i++) {
                final Envelope got = agent.next("normal", TIMEOUT);
                assertTrue(delivered.contains(got.msgId()), () -> "a rate-limited message was delivered: " + got);
            }
            agent.assertNoMessage(QUIET);
        }
    }

    @Test
    void matchWithNoAgentOnlineIsNoAgent() throws InterruptedException {
        try (WsTestClient user = gateway.connect(gateway.user("u1"))) {
            final long before = System.currentTimeMillis();
            user.send(Envelope.client("match", "m1", "system", null));
            final Envelope answer = user.next("match", TIMEOUT);
            Conversations.assertServerMessage(answer, "match", "1", "system", "u1", answer.msg(), before);
            assertEquals("NO_AGENT", answer.reason());
            assertEquals("m1", answer.msgId());
        }
    }

    @Test
    void matchIsIdempotent() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient other = gateway.connect(gateway.agent("t2"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            user.send(Envelope.client("match", "m1", "system", null));
            final String first = user.next("match", TIMEOUT).msg();
            final WsTestClient chosen = first.equals("t1") ? agent : other;
            final WsTestClient notChosen = first.equals("t1") ? other : agent;
            assertEquals("u1", chosen.next("match", TIMEOUT).msg());
            for (int i = 2; i <= 3; i++) {
                user.send(Envelope.client("match", "m" + i, "system", null));
                final Envelope again = user.next("match", TIMEOUT);
                assertEquals("0", again.code());
                assertEquals(first, again.msg());
                assertEquals("m" + i, again.msgId());
            }
            // The agent was told once; a repeated match neither re-notifies it nor takes a second slot.
            chosen.assertNoMessage(QUIET);
            notChosen.assertNoMessage(Duration.ZERO);
            assertEquals(1, gateway.internals().agentLoad(first));
        }
    }

    @Test
    void matchPicksTheLeastLoadedAgent() throws InterruptedException {
        try (WsTestClient t1 = gateway.connect(gateway.agent("t1"));
             WsTestClient t2 = gateway.connect(gateway.agent("t2"))) {
            final List<WsTestClient> users = new ArrayList<>();
            try {
                final int[] load = new int[2];
                for (int i = 0; i < 6; i++) {
                    final WsTestClient u = gateway.connect(gateway.user("u" + i));
                    users.add(u);
                    u.send(Envelope.client("match", null, "system", null));
                    final String agentId = u.next("match", TIMEOUT).msg();
                    final int chosen = agentId.equals("t1") ? 0 : 1;
                    assertEquals(Math.min(load[0], load[1]), load[chosen],
                                 () -> "u picked the busier agent " + agentId + " at loads t1=" + load[0]
                                       + ", t2=" + load[1]);
                    load[chosen]++;
                    (chosen == 0 ? t1 : t2).next("match", TIMEOUT);
                }
                assertEquals(3, load[0]);
                assertEquals(3, load[1]);
            } finally {
                users.forEach(WsTestClient::close);
            }
        }
    }

    @Test
    void agentAtCapacityIsNotMatched() throws InterruptedException {
        gateway.start(b -> b.agentCapacity(1));
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient u1 = gateway.connect(gateway.user("u1"));
             WsTestClient u2 = gateway.connect(gateway.user("u2"))) {
            pair(u1, "u1", agent, "t1");
            u2.send(Envelope.client("match", "m2", "system", null));
            final Envelope full = u2.next("match", TIMEOUT);
            assertEquals("1", full.code());
            assertEquals("NO_AGENT", full.reason());
            agent.assertNoMessage(QUIET);
        }
    }

    @Test
    void agentSendingMatchGetsAFailure() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient other = gateway.connect(gateway.agent("t2"))) {
            agent.send(Envelope.client("match", "am", "system", null));
            final Envelope refused = agent.next("match", TIMEOUT);
            assertEquals("1", refused.code());
            assertEquals("am", refused.msgId());
            assertNotEquals(null, refused.reason());
            assertNotEquals("NO_AGENT", refused.reason(), "an agent is never matched, agents online or not");
            other.assertNoMessage(QUIET);
        }
    }

    @Test
    void receiptsCarryTheClientsMsgIdAndNormalsCarryTheSameId() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", agent, "t1");
            final String msgId = "客户端-" + "x".repeat(56); // 60 characters, non-ASCII
            final Envelope receipt = say(user, msgId, "t1", "hi");
            assertEquals("0", receipt.code());
            assertEquals(msgId, agent.next("normal", TIMEOUT).msgId());
            assertEquals("EMPTY_MSG", say(user, "bad-1", "t1", "").reason());
            assertEquals("NOT_PAIRED", say(user, "bad-2", "nobody", "hi").reason());
        }
    }
}
