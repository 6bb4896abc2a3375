package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static io.switchboard.gateway.testing.Conversations.pair;
import static io.switchboard.gateway.testing.Conversations.say;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PROTOCOL.md §5 across the nodes of a cluster: the sequence, the unacknowledged deliveries and the remembered
 * receipts belong to the userId, not to a node, so a client that reconnects to another node resumes where it was.
 */
class ClusterAckIT {

    private static final Duration QUIET = Duration.ofMillis(300);

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2).with(b -> b.reconnectGrace(Duration.ofSeconds(30)));

    private WsTestClient ackUser(int node, String userId, String extraQuery) {
        return cluster.connect(node, "/pinter/imserver/" + userId + "?ack=1" + extraQuery);
    }

    private static void ack(WsTestClient client, long seq) {
        client.send(Envelope.client("ack", null, null, Long.toString(seq)));
    }

    private void dropAndAwaitServer(int node, WsTestClient client, String userId) throws Exception {
        final CompletableFuture<Void> gone = cluster.node(node).internals().serverSideClosed(userId);
        client.abort();
        gone.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void aReconnectToAnotherNodeResumesTheSequenceWithWhatWasNotAcknowledged() throws Exception {
        final WsTestClient agent = cluster.agent(1, "t1");
        cluster.awaitAgentInPool("t1");
        final WsTestClient user = ackUser(0, "u1", "");
        pair(user, "u1", agent, "t1");
        for (int i = 1; i <= 3; i++) {
            assertEquals("push success", say(agent, "m" + i, "u1", "message " + i).msg());
            assertEquals(Integer.toString(i), user.next("normal", TIMEOUT).seq());
        }
        ack(user, 1);
        user.send(Envelope.client("ping", "p", null, null));
        user.next("pong", TIMEOUT);
        dropAndAwaitServer(0, user, "u1");
        assertEquals("stored offline", say(agent, "m4", "u1", "message 4").msg());

        try (WsTestClient back = ackUser(1, "u1", "")) {
            for (int i = 2; i <= 4; i++) {
                final Envelope e = back.next("normal", TIMEOUT);
                assertEquals(Integer.toString(i), e.seq());
                assertEquals("m" + i, e.msgId());
            }
            assertEquals("push success", say(agent, "m5", "u1", "message 5").msg());
            assertEquals("5", back.next("normal", TIMEOUT).seq());
            ack(back, 5);
            back.assertNoMessage(QUIET);
        }
        // since acknowledges up to it on any node; nothing is left.
        try (WsTestClient again = ackUser(0, "u1", "&since=5")) {
            again.assertNoMessage(QUIET);
            assertEquals("push success", say(agent, "m6", "u1", "message 6").msg());
            assertEquals("6", again.next("normal", TIMEOUT).seq());
        }
    }

    @Test
    void whatANodeThatDiedHadSentButNotSeenAcknowledgedComesAgainFromAnotherNode() throws Exception {
        final WsTestClient agent = cluster.agent(1, "t1");
        cluster.awaitAgentInPool("t1");
        final WsTestClient user = ackUser(0, "u1", "");
        pair(user, "u1", agent, "t1");
        for (int i = 1; i <= 3; i++) {
            assertEquals("push success", say(agent, "m" + i, "u1", "message " + i).msg());
            assertEquals(Integer.toString(i), user.next("normal", TIMEOUT).seq());
        }
        // Node 0 dies as a killed process would: its memory is gone, the client processed 1 and 2 only.
        cluster.crash(0);
        user.abort();
        try (WsTestClient back = ackUser(1, "u1", "&since=2")) {
            final Envelope three = back.next("normal", TIMEOUT);
            assertEquals("3", three.seq());
            assertEquals("m3", three.msgId());
            assertEquals("push success", say(agent, "m4", "u1", "message 4").msg());
            assertEquals("4", back.next("normal", TIMEOUT).seq());
        }
    }

    @Test
    void deliveriesInTheLogThatThisConnectionWasNotWrittenComeBeforeTheNextOne() throws Exception {
        final WsTestClient agent = cluster.agent(1, "t1");
        cluster.awaitAgentInPool("t1");
        final WsTestClient user = ackUser(0, "u1", "");
        pair(user, "u1", agent, "t1");
        say(agent, "m1", "u1", "one");
        assertEquals("1", user.next("normal", TIMEOUT).seq());
        // What the previous connection's node appends after this connection read the log (or a SEQ whose reply
        // timed out) looks like this in Redis: a seq taken and an entry appended that nobody wrote to the client.
        cluster.redis().hincrby(cluster.key("seq:u1"), "last", 1);
        cluster.redis().rpush(cluster.key("acklog:u1"), "2|" + (System.currentTimeMillis() + 60_000) + "|0|"
                + "{\"code\":\"0\",\"from\":\"t1\",\"msg\":\"appended elsewhere\",\"msgId\":\"x\","
                + "\"timestamp\":\"1\",\"to\":\"u1\",\"type\":\"normal\"}");
        say(agent, "m3", "u1", "three");
        final Envelope two = user.next("normal", TIMEOUT);
        assertEquals("2", two.seq());
        assertEquals("appended elsewhere", two.msg());
        final Envelope three = user.next("normal", TIMEOUT);
        assertEquals("3", three.seq());
        assertEquals("m3", three.msgId());
    }

    @Test
    void anAckGivenWithSinceOnAnotherNodeTellsTheSender() throws Exception {
        final WsTestClient agent = cluster.connect(1, "/pinter/imserver/t1?role=agent&ack=1");
        cluster.awaitAgentInPool("t1");
        final WsTestClient user = ackUser(0, "u1", "");
        pair(user, "u1", agent, "t1");
        say(user, "q1", "t1", "anyone?");
        assertEquals("2", agent.next("normal", TIMEOUT).seq());
        dropAndAwaitServer(1, agent, "t1");
        try (WsTestClient back = cluster.connect(0, "/pinter/imserver/t1?role=agent&ack=1&since=2")) {
            final Envelope delivered = user.next("delivered", TIMEOUT);
            assertEquals("q1", delivered.msgId());
            assertEquals("2", delivered.msg());
        }
    }

    @Test
    void anAckAboveWhatThisConnectionWasSentIsABadMessage() {
        final WsTestClient agent = cluster.agent(1, "t1");
        final WsTestClient user = ackUser(0, "u1", "");
        user.send(Envelope.client("ack", "k", null, "1"));
        assertEquals("BAD_MESSAGE", user.next("error", TIMEOUT).reason());
        agent.assertNoMessage(QUIET);
    }

    @Test
    void theSenderIsToldWhenTheRecipientOnAnotherNodeAcknowledged() throws Exception {
        final WsTestClient agent = cluster.connect(1, "/pinter/imserver/t1?role=agent&ack=1");
        cluster.awaitAgentInPool("t1");
        final WsTestClient user = ackUser(0, "u1", "");
        pair(user, "u1", agent, "t1");
        ack(agent, 1); // the match notice
        assertEquals("push success", say(user, "q1", "t1", "where is my parcel?").msg());
        final Envelope got = agent.next("normal", TIMEOUT);
        assertEquals("2", got.seq());
        ack(agent, 2);
        final Envelope delivered = user.next("delivered", TIMEOUT);
        assertEquals("q1", delivered.msgId());
        assertEquals("t1", delivered.from());
        assertEquals("u1", delivered.to());
        assertEquals("2", delivered.msg());
        assertEquals("1", delivered.seq());
    }

    @Test
    void aResendOnAnotherNodeGetsTheFirstReceiptAndIsNotDeliveredAgain() throws Exception {
        final WsTestClient agent = cluster.agent(1, "t1");
        cluster.awaitAgentInPool("t1");
        final WsTestClient user = ackUser(0, "u1", "");
        pair(user, "u1", agent, "t1");
        final Envelope first = say(user, "once", "t1", "exactly once");
        assertEquals("exactly once", agent.next("normal", TIMEOUT).msg());
        dropAndAwaitServer(0, user, "u1");
        try (WsTestClient back = ackUser(1, "u1", "")) {
            final Envelope again = say(back, "once", "t1", "exactly once");
            assertEquals(first.code(), again.code());
            assertEquals(first.msg(), again.msg());
            agent.assertNoMessage(QUIET);
        }
    }

    @Test
    void aPlainReconnectOnAnotherNodeGetsWhatWasNotAcknowledgedWithoutSeq() throws Exception {
        final WsTestClient agent = cluster.agent(1, "t1");
        cluster.awaitAgentInPool("t1");
        final WsTestClient user = ackUser(0, "u1", "");
        pair(user, "u1", agent, "t1");
        say(agent, "m1", "u1", "one");
        say(agent, "m2", "u1", "two");
        user.next("normal", TIMEOUT);
        user.next("normal", TIMEOUT);
        ack(user, 1);
        user.send(Envelope.client("ping", "p", null, null));
        user.next("pong", TIMEOUT);
        dropAndAwaitServer(0, user, "u1");
        try (WsTestClient plain = cluster.user(1, "u1")) {
            final Envelope two = plain.next("normal", TIMEOUT);
            assertEquals("m2", two.msgId());
            assertNull(two.seq());
            plain.assertNoMessage(QUIET);
        }
    }
}
