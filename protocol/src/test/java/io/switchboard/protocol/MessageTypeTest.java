package io.switchboard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MessageTypeTest {

    @Test
    void wireNamesAreExactlyThoseOfProtocolMd() {
        final Map<String, String> expected = new TreeMap<>(Map.of(
                "MATCH", "match",
                "NORMAL", "normal",
                "RECEIPT", "receipt",
                "PING", "ping",
                "PONG", "pong",
                "LEAVE", "leave",
                "ERROR", "error",
                "ACK", "ack",
                "DELIVERED", "delivered"));
        final Map<String, String> actual = new TreeMap<>();
        for (MessageType type : MessageType.values()) {
            actual.put(type.name(), type.wireName());
        }
        assertEquals(expected, actual);
    }

    @Test
    void fromWireFindsEveryType() {
        for (MessageType type : MessageType.values()) {
            assertSame(type, MessageType.fromWire(type.wireName()));
        }
    }

    @Test
    void fromWireIsCaseSensitiveAndExact() {
        assertNull(MessageType.fromWire("Normal"));
        assertNull(MessageType.fromWire("NORMAL"));
        assertNull(MessageType.fromWire("PING"));
        assertNull(MessageType.fromWire(" ping"));
        assertNull(MessageType.fromWire("ping "));
        assertNull(MessageType.fromWire("pingx"));
    }

    @Test
    void fromWireNullOrUnknownIsNull() {
        assertNull(MessageType.fromWire(null));
        assertNull(MessageType.fromWire(""));
        assertNull(MessageType.fromWire("chat"));
        assertNull(MessageType.fromWire("MATCH"));
    }
}
