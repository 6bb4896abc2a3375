package io.switchboard.gateway.replacement;

import static io.switchboard.gateway.testing.Conversations.pair;
import static io.switchboard.gateway.testing.Conversations.say;
import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.testing.CloseStatus;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PROTOCOL.md §1: one live connection per userId; a new one replaces the old, which is closed with 4001. */
class ReplacementIT {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    @Test
    void secondConnectionReplacesTheFirstAndKeepsThePairing() throws Exception {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient first = gateway.connect(gateway.user("u1"))) {
            pair(first, "u1", agent, "t1");
            final var firstGone = gateway.internals().serverSideClosed("u1");
            try (WsTestClient second = gateway.connect(gateway.user("u1"))) {
                assertEquals(new CloseStatus(4001, "replaced"), first.awaitClose(TIMEOUT));
                // The late close of the first connection has been processed: it must not have evicted the second.
                firstGone.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                assertEquals(second.channel().localAddress(), gateway.internals().connectionOf("u1"));

                assertEquals("push success", say(second, "a", "t1", "still here").msg());
                assertEquals("still here", agent.next("normal", TIMEOUT).msg());
                assertEquals("push success", say(agent, "b", "u1", "welcome back").msg());
                final Envelope delivered = second.next("normal", TIMEOUT);
                assertEquals("welcome back", delivered.msg());
                second.send(Envelope.client("match", "m", "system", null));
                assertEquals("t1", second.next("match", TIMEOUT).msg());
                agent.assertNoMessage(Duration.ofMillis(200));
            }
        }
    }

    @Test
    void replacedAgentKeepsItsUsers() {
        try (WsTestClient first = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            pair(user, "u1", first, "t1");
            try (WsTestClient second = gateway.connect(gateway.agent("t1"))) {
                assertEquals(4001, first.awaitClose(TIMEOUT).code());
                assertEquals("push success", say(user, "a", "t1", "hello?").msg());
                assertEquals("hello?", second.next("normal", TIMEOUT).msg());
                assertEquals("push success", say(second, "b", "u1", "here").msg());
                assertEquals("here", user.next("normal", TIMEOUT).msg());
                user.assertNoMessage(Duration.ofMillis(200));
            }
        }
    }

    @Test
    void manyReplacementsLeaveExactlyTheLastConnection() {
        WsTestClient previous = gateway.connect(gateway.user("u1"));
        for (int i = 0; i < 5; i++) {
            final WsTestClient next = gateway.connect(gateway.user("u1"));
            assertEquals(4001, previous.awaitClose(TIMEOUT).code());
            previous.close();
            previous = next;
        }
        try (WsTestClient last = previous) {
            last.send(Envelope.client("ping", "p", null, null));
            assertEquals("u1", last.next("pong", TIMEOUT).to());
            assertEquals(1, gateway.api().json("/api/v1/stats").at("/connections/total").asInt());
        }
    }
}
