package io.switchboard.gateway.offline;

import static io.switchboard.gateway.testing.Conversations.assertFailed;
import static io.switchboard.gateway.testing.Conversations.pair;
import static io.switchboard.gateway.testing.Conversations.say;
import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.testing.Conversations;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PROTOCOL.md §3: a paired peer that is momentarily offline gets its messages later, in order ("stored offline");
 * {@code leave} ends a conversation, explicitly or when a user stays away past the reconnect grace period.
 */
class OfflineIT {

    private static final Duration QUIET = Duration.ofMillis(200);

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    /** Drops {@code client}'s connection abruptly and waits until the server has processed it. */
    private void dropAndAwaitServer(WsTestClient client, String userId) throws Exception {
        final CompletableFuture<Void> gone = gateway.internals().serverSideClosed(userId);
        client.abort();
        gone.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void messagesToAnOfflinePeerAreHeldAndDeliveredInOrderOnReconnect() throws Exception {
        gateway.start(b -> b.reconnectGrace(Duration.ofSeconds(30)));
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"))) {
            final WsTestClient user = gateway.connect(gateway.user("u1"));
            pair(user, "u1", agent, "t1");
            dropAndAwaitServer(user, "u1");

            for (int i = 1; i <= 5; i++) {
                final Envelope receipt = say(agent, "o" + i, "u1", "离线消息 " + i);
                assertEquals("0", receipt.code(), () -> "receipt " + receipt);
                assertEquals("stored offline", receipt.msg());
                assertEquals("system", receipt.from());
                assertEquals("t1", receipt.to());
            }
            try (WsTestClient back = gateway.connect(gateway.user("u1"))) {
                for (int i = 1; i <= 5; i++) {
                    final Envelope held = back.next("normal", TIMEOUT);
                    assertEquals("o" + i, held.msgId());
                    assertEquals("离线消息 " + i, held.msg());
                    assertEquals("t1", held.from());
                    assertEquals("u1", held.to());
                    assertEquals("0", held.code());
                }
                // Live messages come after the held ones, and the pairing survived the reconnect.
                assertEquals("push success", say(agent, "live", "u1", "now live").msg());
                assertEquals("live", back.next("normal", TIMEOUT).msgId());
                assertEquals("push success", say(back, "r", "t1", "thanks").msg());
                assertEquals("thanks", agent.next("normal", TIMEOUT).msg());
                agent.assertNoMessage(QUIET);
            }
        }
    }

    @Test
    void messagesToAnOfflineAgentAreHeldToo() throws Exception {
        gateway.start(b -> b.reconnectGrace(Duration.ofSeconds(30)));
        try (WsTestClient user = gateway.connect(gateway.user("u1"))) {
            final WsTestClient agent = gateway.connect(gateway.agent("t1"));
            pair(user, "u1", agent, "t1");
            dropAndAwaitServer(agent, "t1");
            assertEquals("stored offline", say(user, "q1", "t1", "anyone?").msg());
            assertEquals("stored offline", say(user, "q2", "t1", "hello?").msg());
            try (WsTestClient back = gateway.connect(gateway.agent("t1"))) {
                assertEquals("q1", back.next("normal", TIMEOUT).msgId());
                assertEquals("q2", back.next("normal", TIMEOUT).msgId());
                assertEquals("push success", say(back, "a", "u1", "sorry, here").msg());
                assertEquals("sorry, here", user.next("normal", TIMEOUT).msg());
            }
        }
    }

    @Test
    void userLeaveEndsTheConversationAndTellsTheAgent() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", agent, "t1");
            final long before = System.currentTimeMillis();
            user.send(Envelope.client("leave", "bye", "t1", null));
            final Envelope answer = user.next(TIMEOUT);
            assertEquals("0", answer.code(), () -> "leave refused: " + answer);
            assertEquals("bye", answer.msgId());
            final Envelope left = agent.next("leave", TIMEOUT);
            Conversations.assertServerMessage(left, "leave", "0", "system", "t1", "u1", before);

            assertFailed(say(user, "n1", "t1", "hi"), "NOT_PAIRED", "未与对方建立会话");
            assertFailed(say(agent, "n2", "u1", "hi"), "NOT_PAIRED", "未与对方建立会话");
            user.assertNoMessage(QUIET);
            agent.assertNoMessage(Duration.ZERO);
        }
    }

    @Test
    void agentLeaveEndsTheConversationAndTellsTheUser() throws InterruptedException {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", agent, "t1");
            final long before = System.currentTimeMillis();
            agent.sendText("{\"type\":\"leave\",\"to\":\"u1\"}");
            assertEquals("0", agent.next(TIMEOUT).code());
            final Envelope left = user.next("leave", TIMEOUT);
            Conversations.assertServerMessage(left, "leave", "0", "system", "u1", "t1", before);
            assertFailed(say(agent, "n2", "u1", "hi"), "NOT_PAIRED", "未与对方建立会话");
            // The user can be matched again afterwards.
            pair(user, "u1", agent, "t1");
        }
    }

    @Test
    void agentCapacityIsFreedByLeave() throws InterruptedException {
        gateway.start(b -> b.agentCapacity(1));
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient u1 = gateway.connect(gateway.user("u1"));
             WsTestClient u2 = gateway.connect(gateway.user("u2"))) {
            pair(u1, "u1", agent, "t1");
            u2.send(Envelope.client("match", "full", "system", null));
            assertEquals("NO_AGENT", u2.next("match", TIMEOUT).reason());
            u1.send(Envelope.client("leave", "bye", "t1", null));
            u1.next(TIMEOUT);
            assertEquals("u1", agent.next("leave", TIMEOUT).msg());
            pair(u2, "u2", agent, "t1");
        }
    }

    @Test
    void userAwayPastTheGracePeriodEndsTheConversation() throws Exception {
        gateway.start(b -> b.agentCapacity(1).reconnectGrace(Duration.ofMillis(200)));
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"))) {
            final WsTestClient user = gateway.connect(gateway.user("u1"));
            pair(user, "u1", agent, "t1");
            final long before = System.currentTimeMillis();
            user.abort();
            final Envelope left = agent.next("leave", Duration.ofSeconds(3));
            Conversations.assertServerMessage(left, "leave", "0", "system", "t1", "u1", before);
            assertFailed(say(agent, "n", "u1", "are you there?"), "NOT_PAIRED", "未与对方建立会话");
            // The slot is free again.
            try (WsTestClient u2 = gateway.connect(gateway.user("u2"))) {
                pair(u2, "u2", agent, "t1");
            }
        }
    }

    @Test
    void userBackWithinTheGracePeriodKeepsItsAgentAndNoLeaveIsSent() throws Exception {
        gateway.start(b -> b.reconnectGrace(Duration.ofSeconds(30)));
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"))) {
            final WsTestClient user = gateway.connect(gateway.user("u1"));
            pair(user, "u1", agent, "t1");
            dropAndAwaitServer(user, "u1");
            try (WsTestClient back = gateway.connect(gateway.user("u1"))) {
                back.send(Envelope.client("match", "again", "system", null));
                assertEquals("t1", back.next("match", TIMEOUT).msg());
                assertEquals("push success", say(back, "r", "t1", "I'm back").msg());
                assertEquals("I'm back", agent.next("normal", TIMEOUT).msg());
                agent.assertNoMessage(QUIET);
            }
        }
    }

    @Test
    void agentAwayPastTheGracePeriodEndsItsConversations() throws Exception {
        gateway.start(b -> b.reconnectGrace(Duration.ofMillis(200)));
        try (WsTestClient user = gateway.connect(gateway.user("u1"))) {
            final WsTestClient agent = gateway.connect(gateway.agent("t1"));
            pair(user, "u1", agent, "t1");
            agent.abort();
            final Envelope left = user.next("leave", Duration.ofSeconds(3));
            assertEquals("t1", left.msg());
            assertEquals("system", left.from());
            user.send(Envelope.client("match", "m", "system", null));
            assertEquals("NO_AGENT", user.next("match", TIMEOUT).reason());
        }
    }
}
