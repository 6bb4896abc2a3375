package io.switchboard.gateway.lifecycle;

import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.Conversations;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.gateway.testing.WsTestClient.Options;
import io.switchboard.protocol.Envelope;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PROTOCOL.md §1: server pings and the idle close (1001); graceful shutdown closes every session with 1001. */
class LifecycleIT {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    private static void startWithShortIdle() {
        gateway.start(b -> b.idleTimeout(Duration.ofMillis(600)).pingInterval(Duration.ofMillis(150)));
    }

    @Test
    void silentClientGetsPingsAndThenIdleClose1001() throws InterruptedException {
        startWithShortIdle();
        try (WsTestClient deaf = gateway.connect(gateway.user("u1"),
                                                      Options.defaults().answerPings(false))) {
            deaf.awaitPing(TIMEOUT);
            assertEquals(1001, deaf.awaitClose(TIMEOUT).code());
        }
    }

    @Test
    void clientThatAnswersPingsOutlivesTheIdleTimeout() throws InterruptedException {
        startWithShortIdle();
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            // Four idle timeouts' worth of pings, answered by Netty's client with pongs.
            for (int i = 0; i < 16; i++) {
                client.awaitPing(TIMEOUT);
            }
            assertTrue(client.isOpen());
            client.send(Envelope.client("ping", "p", null, null));
            assertEquals("p", client.next("pong", TIMEOUT).msgId());
        }
    }

    @Test
    void rawClientThatNeverAnswersIsClosedWith1001() throws IOException, InterruptedException {
        startWithShortIdle();
        try (RawSocket raw = RawSocket.upgraded(gateway.address(), "/pinter/imserver/u1")) {
            final RawSocket.Frame ping = raw.readFrame();
            assertEquals(RawSocket.PING, ping.opcode());
            assertEquals(1001, raw.readClose().code());
        }
    }

    @Test
    void gracefulShutdownClosesEverySessionWith1001() throws Exception {
        gateway.start(b -> b.shutdownTimeout(Duration.ofSeconds(3)));
        final InetSocketAddress address = gateway.address();
        final WsTestClient agent = gateway.connect(gateway.agent("t1"));
        final WsTestClient user = gateway.connect(gateway.user("u1"));
        final WsTestClient other = gateway.connect(gateway.user("u2"));
        Conversations.pair(user, "u1", agent, "t1");
        try (RawSocket raw = RawSocket.upgraded(address, "/pinter/imserver/raw");
             RawSocket halfHandshake = RawSocket.connect(address)) {
            halfHandshake.write("GET /pinter/imserver/late HTTP/1.1\r\n");

            final long start = System.nanoTime();
            gateway.stop();
            final long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMillis < 3000, () -> "shutdown took " + tookMillis + " ms");

            for (WsTestClient c : List.of(agent, user, other)) {
                assertEquals(1001, c.awaitClose(TIMEOUT).code(), c::toString);
            }
            // A client that does not answer the close frame gets it anyway.
            assertEquals(1001, raw.readClose().code());
            halfHandshake.awaitEof(TIMEOUT);
            assertThrows(IOException.class, () -> RawSocket.connect(address).close(),
                         "still accepting connections after shutdown");
        } finally {
            agent.close();
            user.close();
            other.close();
        }
    }
}
