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
        final Map<String, String> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("MATCH", "match"),
                Map.entry("NORMAL", "normal"),
                Map.entry("RECEIPT", "receipt"),
                Map.entry("PING", "ping"),
                Map.entry("PONG", "pong"),
                Map.entry("LEAVE", "leave"),
                Map.entry("ERROR", "error"),
                Map.entry("ACK", "ack"),
                Map.entry("DELIVERED", "delivered"),
                Map.entry("STATUS", "status"),
                Map.entry("QUEUE", "queue"),
                Map.entry("TRANSFER", "transfer"),
                Map.entry("TYPING", "typing"),
                Map.entry("READ", "read"),
                Map.entry("HISTORY", "history")));
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
