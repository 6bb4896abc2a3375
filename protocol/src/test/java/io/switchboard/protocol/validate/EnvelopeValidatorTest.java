package io.switchboard.protocol.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.MessageType;
import org.junit.jupiter.api.Test;

class EnvelopeValidatorTest {

    private static final int LIMIT = 4096;
    private static final String EMOJI = "😀"; // one code point, two UTF-16 units

    private final EnvelopeValidator validator = new EnvelopeValidator(LIMIT);

    private static Envelope normal(String to, String msg) {
        return Envelope.client("normal", "1", to, msg);
    }

    // --- clientType

    @Test
    void clientTypeAcceptsTheClientTypes() {
        assertSame(MessageType.MATCH, validator.clientType(Envelope.client("match", null, "system", null)));
        assertSame(MessageType.NORMAL, validator.clientType(normal("peer", "hi")));
        assertSame(MessageType.PING, validator.clientType(Envelope.client("ping", null, null, null)));
        assertSame(MessageType.LEAVE, validator.clientType(Envelope.client("leave", null, "peer", null)));
        assertSame(MessageType.ACK, validator.clientType(Envelope.client("ack", null, null, "3")));
        assertSame(MessageType.STATUS, validator.clientType(Envelope.client("status", null, null, "away")));
        assertSame(MessageType.TRANSFER, validator.clientType(Envelope.client("transfer", null, "u", "")));
        assertSame(MessageType.TYPING, validator.clientType(Envelope.client("typing", null, "peer", null)));
        assertSame(MessageType.READ, validator.clientType(Envelope.client("read", null, "peer", "m1")));
        assertSame(MessageType.HISTORY, validator.clientType(Envelope.client("history", "h1", null, "20")));
    }

    @Test
    void ackedSeqIsADecimalNumberOrMinusOne() {
        assertEquals(0, EnvelopeValidator.ackedSeq(Envelope.client("ack", null, null, "0")));
        assertEquals(42, EnvelopeValidator.ackedSeq(Envelope.client("ack", null, null, "42")));
        assertEquals(999_999_999_999_999_999L,
                     EnvelopeValidator.ackedSeq(Envelope.client("ack", null, null, "999999999999999999")));
        for (String bad : new String[] {null, "", "-1", "+1", "1.0", " 1", "1e3", "x", "9999999999999999999", "١"}) {
            assertEquals(-1, EnvelopeValidator.ackedSeq(Envelope.client("ack", null, null, bad)), bad);
        }
    }

    @Test
    void clientTypeRejectsServerOnlyUnknownAndMissingTypes() {
        for (String type : new String[] {"receipt", "pong", "error", "delivered", "queue", "chat",
                                          "Normal", "", null}) {
            assertNull(validator.clientType(Envelope.client(type, null, "peer", "hi")), String.valueOf(type));
        }
    }

    @Test
    void clientTypeChecksMsgIdLength() {
        assertNull(validator.clientType(Envelope.client("ping", "", null, null)));
        assertNull(validator.clientType(Envelope.client("ping", "x".repeat(65), null, null)));
        assertSame(MessageType.PING, validator.clientType(Envelope.client("ping", "x".repeat(64), null, null)));
        assertSame(MessageType.PING, validator.clientType(Envelope.client("ping", "x", null, null)));
        assertSame(MessageType.PING, validator.clientType(Envelope.client("ping", null, null, null)));
        assertEquals(64, EnvelopeValidator.MAX_MSG_ID_CHARS);
    }

    // --- checkNormal

    @Test
    void validNormalPasses() {
        assertNull(validator.checkNormal(normal("peer", "你好")));
        assertNull(validator.checkNormal(normal("peer", " ")));
    }

    @Test
    void missingOrEmptyMsgIsEmptyMsg() {
        assertSame(Failure.EMPTY_MSG, validator.checkNormal(normal("peer", null)));
        assertSame(Failure.EMPTY_MSG, validator.checkNormal(normal("peer", "")));
    }

    @Test
    void lengthLimitIsInclusive() {
        assertNull(validator.checkNormal(normal("peer", "a".repeat(LIMIT))));
        assertSame(Failure.MSG_TOO_LONG, validator.checkNormal(normal("peer", "a".repeat(LIMIT + 1))));
        assertSame(Failure.MSG_TOO_LONG, validator.checkNormal(normal("peer", "中".repeat(LIMIT + 1))));
    }

    @Test
    void lengthIsCountedInCodePoints() {
        final String emoji = EMOJI.repeat(LIMIT);
        assertEquals(2 * LIMIT, emoji.length());
        assertNull(validator.checkNormal(normal("peer", emoji)));
        assertSame(Failure.MSG_TOO_LONG, validator.checkNormal(normal("peer", emoji + "a")));
        assertSame(Failure.MSG_TOO_LONG, validator.checkNormal(normal("peer", EMOJI.repeat(LIMIT + 1))));
        assertNull(validator.checkNormal(normal("peer", "a".repeat(LIMIT - 1) + EMOJI)));
    }

    @Test
    void missingOrEmptyToIsNotPaired() {
        assertSame(Failure.NOT_PAIRED, validator.checkNormal(normal(null, "hi")));
        assertSame(Failure.NOT_PAIRED, validator.checkNormal(normal("", "hi")));
    }

    @Test
    void checksApplyInTheDocumentedOrder() {
        assertSame(Failure.EMPTY_MSG, validator.checkNormal(normal(null, "")));
        assertSame(Failure.EMPTY_MSG, validator.checkNormal(normal(null, null)));
        assertSame(Failure.MSG_TOO_LONG, validator.checkNormal(normal(null, "a".repeat(LIMIT + 1))));
    }

    @Test
    void smallLimitsWork() {
        final EnvelopeValidator one = new EnvelopeValidator(1);
        assertEquals(1, one.maxMessageChars());
        assertNull(one.checkNormal(normal("peer", EMOJI)));
        assertSame(Failure.MSG_TOO_LONG, one.checkNormal(normal("peer", "ab")));
        assertSame(Failure.MSG_TOO_LONG, one.checkNormal(normal("peer", EMOJI + EMOJI)));
    }

    @Test
    void constructorRejectsNonPositiveLimits() {
        final IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> new EnvelopeValidator(0));
        assertTrue(zero.getMessage().contains("0"), zero.getMessage());
        final IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> new EnvelopeValidator(-7));
        assertTrue(negative.getMessage().contains("-7"), negative.getMessage());
        assertEquals(LIMIT, validator.maxMessageChars());
    }
}
