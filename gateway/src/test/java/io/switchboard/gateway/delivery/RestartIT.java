package io.switchboard.gateway.delivery;

import static io.switchboard.gateway.testing.Conversations.pair;
import static io.switchboard.gateway.testing.Conversations.say;
import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.GatewayProcess;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.gateway.testing.WsTestClients;
import io.switchboard.protocol.Envelope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single gateway with a data directory keeps its promises across a restart: stopped with SIGTERM or killed with
 * SIGKILL (a real child process), it comes back with its held messages, its pairings, its acknowledging users'
 * sequences and unacknowledged deliveries, and the receipts it remembers against resends.
 */
class RestartIT {

    private static final Duration QUIET = Duration.ofMillis(300);
    private static WsTestClients clients;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void clients() {
        clients = new WsTestClients();
    }

    @AfterAll
    static void closeClients() {
        clients.close();
    }

    private GatewayProcess startGateway() throws Exception {
        return GatewayProcess.start(List.of("--data-dir", dataDir.toString(), "--reconnect-grace", "60s"));
    }

    private static WsTestClient connect(GatewayProcess gateway, String pathAndQuery) {
        return WsTestClient.connect(clients, gateway.uri("/pinter/imserver/" + pathAndQuery));
    }

    @Test
    void heldMessagesAndPairingsSurviveSigkill() throws Exception {
        heldMessagesAndPairingsSurvive(false);
    }

    @Test
    void heldMessagesAndPairingsSurviveSigterm() throws Exception {
        heldMessagesAndPairingsSurvive(true);
    }

    private void heldMessagesAndPairingsSurvive(boolean graceful) throws Exception {
        try (GatewayProcess first = startGateway()) {
            final WsTestClient agent = connect(first, "t1?role=agent");
            final WsTestClient user = connect(first, "u1");
            pair(user, "u1", agent, "t1");
            user.close();
            // Until the gateway has seen the user go, a message may be written to its dying socket ("push success",
            // the plain-mode promise, and lost with the socket): probe until one is held.
            for (int probe = 0; !"stored offline".equals(say(agent, "probe" + probe, "u1", "probe").msg()); probe++) {
                assertTrue(probe < 100, "the gateway never noticed the closed user connection");
            }
            for (int i = 1; i <= 5; i++) {
                final Envelope receipt = say(agent, "m" + i, "u1", "held " + i);
                assertEquals("0", receipt.code(), () -> "receipt " + receipt);
            }
            if (graceful) {
                assertEquals(0, first.terminate(), first::output);
            } else {
                first.kill();
            }
            agent.awaitClose(TIMEOUT);
        }
        try (GatewayProcess second = startGateway()) {
            final WsTestClient user = connect(second, "u1");
            // The held probes come first (a probe whose live write failed is held again, in its place).
            Envelope held = user.next("normal", TIMEOUT);
            while (held.msgId().startsWith("probe")) {
                held = user.next("normal", TIMEOUT);
            }
            for (int i = 1; i <= 5; i++) {
                if (i > 1) {
                    held = user.next("normal", TIMEOUT);
                }
                assertEquals("m" + i, held.msgId(), second::output);
                assertEquals("held " + i, held.msg());
                assertEquals("t1", held.from());
            }
            // The pairing came back too: no NOT_PAIRED, and no new match needed.
            final WsTestClient agent = connect(second, "t1?role=agent");
            final Envelope receipt = say(user, "r1", "t1", "I am back");
            assertEquals("push success", receipt.msg(), () -> "receipt " + receipt);
            assertEquals("I am back", agent.next("normal", TIMEOUT).msg());
            user.send(Envelope.client("match", "again", "system", null));
            assertEquals("t1", user.next("match", TIMEOUT).msg());
            agent.assertNoMessage(QUIET);
        }
    }

    @Test
    void sequencesUnacknowledgedDeliveriesAndRememberedReceiptsSurviveSigterm() throws Exception {
        acknowledgedStateSurvives(true);
    }

    @Test
    void sequencesUnacknowledgedDeliveriesAndRememberedReceiptsSurviveSigkill() throws Exception {
        acknowledgedStateSurvives(false);
    }

    private void acknowledgedStateSurvives(boolean graceful) throws Exception {
        try (GatewayProcess first = startGateway()) {
            final WsTestClient agent = connect(first, "t1?role=agent");
            final WsTestClient user = connect(first, "u1?ack=1");
            pair(user, "u1", agent, "t1");
            for (int i = 1; i <= 3; i++) {
                assertEquals("push success", say(agent, "m" + i, "u1", "message " + i).msg());
                assertEquals(Integer.toString(i), user.next("normal", TIMEOUT).seq());
            }
            user.send(Envelope.client("ack", null, null, "1"));
            assertEquals("push success", say(user, "once", "t1", "sent once").msg());
            assertEquals("sent once", agent.next("normal", TIMEOUT).msg());
            // The ack has no answer; a ping after it shows it was read before the process ends.
            user.send(Envelope.client("ping", "p", null, null));
            user.next("pong", TIMEOUT);
            if (graceful) {
                assertEquals(0, first.terminate(), first::output);
            } else {
                first.kill();
            }
        }
        try (GatewayProcess second = startGateway()) {
            final WsTestClient agent = connect(second, "t1?role=agent");
            final WsTestClient user = connect(second, "u1?ack=1");
            final Envelope two = user.next("normal", TIMEOUT);
            assertEquals("2", two.seq(), second::output);
            assertEquals("m2", two.msgId());
            assertEquals("3", user.next("normal", TIMEOUT).seq());
            // The sequence continues where it was, and a resend of a msgId answered before the restart is not
            // delivered again.
            final Envelope resent = say(user, "once", "t1", "sent once");
            assertEquals("push success", resent.msg());
            assertEquals("push success", say(agent, "m4", "u1", "message 4").msg());
            assertEquals("4", user.next("normal", TIMEOUT).seq());
            agent.assertNoMessage(QUIET);
        }
    }
}
