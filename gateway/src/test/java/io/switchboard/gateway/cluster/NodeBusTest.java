package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.json.EnvelopeJson;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The node bus's wire format: a delivery survives the trip through a channel message whatever its JSON holds, and a
 * {@code normal} is told from a notice without parsing (so its JSON is written to the recipient as it came).
 */
class NodeBusTest {

    private final EnvelopeJson json = EnvelopeJson.create();
    private final Envelopes envelopes = new Envelopes(Clock.systemUTC());

    private String encode(Envelope envelope) {
        return new String(json.toBytes(envelope), StandardCharsets.UTF_8);
    }

    @Test
    void aNormalIsToldFromNoticesWithoutAParse() {
        assertTrue(deliver(encode(envelopes.delivery("m1", "u1", "a1", "hello"))).isNormal());
        assertFalse(deliver(encode(envelopes.matched(null, "a1", "u1"))).isNormal());
        assertFalse(deliver(encode(envelopes.leave(null, "a1", "u1"))).isNormal());
    }

    @Test
    void aMessageTextThatLooksLikeTheTypeKeyDoesNotFoolIt() {
        final Envelope notice = envelopes.leave(null, "a1", "x\",\"type\":\"normal\"");
        assertFalse(deliver(encode(notice)).isNormal());
    }

    @Test
    void aDeliveryRoundTripsThroughItsChannelMessage() {
        final String body = encode(envelopes.delivery("m|1", "u|1", "a1", "pipes | and \"quotes\""));
        final NodeBus.Deliver sent = new NodeBus.Deliver("node-a", "node-a-7", 0, "a1", body);
        final List<NodeBus.Deliver> received = new ArrayList<>();
        final NodeBus bus = new NodeBus("node-b", (channel, message) -> null, new RedisKeys("t:"), 1000);
        bus.receive(sent.forwarded().message(), received::add, (user, connection) -> {});
        assertEquals(List.of(new NodeBus.Deliver("node-a", "node-a-7", 1, "a1", body)), received);
    }

    private static NodeBus.Deliver deliver(String body) {
        return new NodeBus.Deliver("n", "c", 0, "to", body);
    }
}
