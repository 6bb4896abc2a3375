package io.switchboard.gateway.it;

import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;

/** Steps the integration tests share: pairing, sending a chat message and checking its receipt. */
final class Conversations {

    private Conversations() {}

    /** {@code user} sends {@code match}; asserts it is paired with {@code agentId} and that the agent was told. */
    static void pair(WsTestClient user, String userId, WsTestClient agent, String agentId) {
        user.send(Envelope.client("match", null, "system", null));
        final Envelope matched = user.next("match", TIMEOUT);
        assertEquals("0", matched.code(), () -> "match failed: " + matched);
        assertEquals(agentId, matched.msg());
        final Envelope told = agent.next("match", TIMEOUT);
        assertEquals(userId, told.msg());
        assertEquals(agentId, told.to());
    }

    /** Sends a {@code normal} and returns the receipt. */
    static Envelope say(WsTestClient from, String msgId, String to, String msg) {
        from.send(Envelope.client("normal", msgId, to, msg));
        final Envelope receipt = from.next("receipt", TIMEOUT);
        assertEquals(msgId, receipt.msgId(), () -> "receipt for another message: " + receipt);
        return receipt;
    }

    /** Asserts a failed receipt with the exact text and reason of PROTOCOL.md §3. */
    static void assertFailed(Envelope receipt, String reason, String text) {
        assertEquals("receipt", receipt.type(), () -> "not a receipt: " + receipt);
        assertEquals("1", receipt.code(), () -> "not a failure: " + receipt);
        assertEquals(reason, receipt.reason(), () -> "reason of " + receipt);
        assertEquals(text, receipt.msg(), () -> "msg of " + receipt);
        assertEquals("system", receipt.from());
    }
}
