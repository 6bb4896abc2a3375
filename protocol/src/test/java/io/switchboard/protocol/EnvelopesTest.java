package io.switchboard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnvelopesTest {

    private static final long NOW = 1665630374482L;
    private static final String NOW_TEXT = "1665630374482";

    private final Envelopes envelopes = new Envelopes(Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

    /** Every factory, called with a client msgId of {@code msgId} (possibly null). */
    private List<Envelope> all(String msgId) {
        return List.of(
                envelopes.delivery(msgId, "admin", "agent1", "你好"),
                envelopes.push("normal", msgId, "backend", "admin", "hello"),
                envelopes.receipt(msgId, "admin", Envelopes.PUSH_SUCCESS),
                envelopes.failedReceipt(msgId, "admin", Failure.EMPTY_MSG),
                envelopes.failure(MessageType.MATCH, msgId, "admin", Failure.NO_AGENT),
                envelopes.badMessage(msgId, "admin"),
                envelopes.matched(msgId, "admin", "agent1"),
                envelopes.leave(msgId, "agent1", "admin"),
                envelopes.pong(msgId, "admin"));
    }

    @Test
    void everyFactoryFillsEveryField() {
        for (String msgId : new String[] {"111", null}) {
            for (Envelope e : all(msgId)) {
                assertNotNull(e.type(), e::toString);
                assertNotNull(e.msgId(), e::toString);
                assertNotNull(e.from(), e::toString);
                assertNotNull(e.to(), e::toString);
                assertNotNull(e.msg(), e::toString);
                assertNotNull(e.code(), e::toString);
                assertNotNull(e.timestamp(), e::toString);
                assertEquals(NOW_TEXT, e.timestamp(), e::toString);
                if (Envelopes.CODE_FAILED.equals(e.code())) {
                    assertNotNull(e.reason(), e::toString);
                    assertFalse(e.isSuccess());
                } else {
                    assertEquals(Envelopes.CODE_OK, e.code(), e::toString);
                    assertNull(e.reason(), e::toString);
                    assertTrue(e.isSuccess());
                }
            }
        }
    }

    @Test
    void clientMsgIdIsEchoed() {
        for (Envelope e : all("client-42")) {
            assertEquals("client-42", e.msgId(), e::toString);
        }
    }

    @Test
    void serverIdsAreUniqueWhenAbsent() {
        final Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            for (Envelope e : all(null)) {
                assertTrue(ids.add(e.msgId()), () -> "repeated id " + e.msgId());
                assertFalse(e.msgId().isEmpty());
                assertTrue(e.msgId().length() <= 64, e.msgId());
            }
        }
        // Two instances (two nodes, or a restart) should not collide either.
        final Envelopes other = new Envelopes(Clock.systemUTC());
        for (int i = 0; i < 100; i++) {
            final String id = other.msgIdOr(null);
            assertFalse(ids.contains(id), id);
        }
    }

    @Test
    void fixedClockGivesTheTimestampString() {
        assertEquals(NOW_TEXT, envelopes.now());
        final Envelopes epoch = new Envelopes(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        assertEquals("0", epoch.pong(null, "u").timestamp());
    }

    @Test
    void failuresCarryReasonAndExactText() {
        final Envelope receipt = envelopes.failedReceipt("111", "admin", Failure.NOT_PAIRED);
        assertEquals(new Envelope("receipt", "111", "system", "admin", "未与对方建立会话", "1", NOW_TEXT, "NOT_PAIRED"),
                receipt);

        final Envelope error = envelopes.badMessage(null, "admin");
        assertEquals("error", error.type());
        assertEquals("system", error.from());
        assertEquals("消息格式错误", error.msg());
        assertEquals("1", error.code());
        assertEquals("BAD_MESSAGE", error.reason());

        final Envelope noAgent = envelopes.failure(MessageType.MATCH, "m1", "admin", Failure.NO_AGENT);
        assertEquals("match", noAgent.type());
        assertEquals(Failure.NO_AGENT.text(), noAgent.msg());
        assertEquals("NO_AGENT", noAgent.reason());
    }

    @Test
    void successShapesMatchProtocolMd() {
        assertEquals(new Envelope("normal", "111", "admin", "agent1", "你好", "0", NOW_TEXT, null),
                envelopes.delivery("111", "admin", "agent1", "你好"));
        assertEquals(new Envelope("receipt", "111", "system", "admin", "push success", "0", NOW_TEXT, null),
                envelopes.receipt("111", "admin", Envelopes.PUSH_SUCCESS));
        assertEquals(new Envelope("match", "m", "system", "admin", "agent1", "0", NOW_TEXT, null),
                envelopes.matched("m", "admin", "agent1"));
        assertEquals(new Envelope("leave", "l", "system", "agent1", "admin", "0", NOW_TEXT, null),
                envelopes.leave("l", "agent1", "admin"));
        assertEquals("pong", envelopes.pong("p", "admin").type());
        assertEquals("stored offline", Envelopes.STORED_OFFLINE);
    }

    @Test
    void clientFactoryLeavesServerFieldsAbsent() {
        final Envelope e = Envelope.client("normal", "1", "peer", "hi");
        assertEquals(new Envelope("normal", "1", null, "peer", "hi", null, null, null), e);
        assertFalse(e.isSuccess());
    }

    @Test
    void rejectsNullClock() {
        assertThrows(NullPointerException.class, () -> new Envelopes(null));
    }
}
