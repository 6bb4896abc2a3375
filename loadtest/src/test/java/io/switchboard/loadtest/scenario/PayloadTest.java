package io.switchboard.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class PayloadTest {

    @Test
    void roundTripsAndPads() {
        final String text = Payload.encode(42, 123_456_789_012L, "abc", 64);
        assertEquals(64, text.length());
        final Payload.Fields f = Payload.decode(text);
        assertEquals(new Payload.Fields(42, 123_456_789_012L, "abc"), f);
    }

    @Test
    void rejectsForeignText() {
        assertNull(Payload.decode("你好"));
        assertNull(Payload.decode("1|x|o|"));
        assertNull(Payload.decode(null));
    }
}
