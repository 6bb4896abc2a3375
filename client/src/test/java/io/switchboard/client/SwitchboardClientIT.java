package io.switchboard.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.protocol.Envelope;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real in-process gateway on 127.0.0.1 over real sockets: each message reaches the application
 * once across a dropped connection and a gateway restart, a send whose receipt was lost is resent and delivered once,
 * {@code delivered} notices arrive, and close 4001 stops the client for good.
 */
class SwitchboardClientIT {

    private static final long TIMEOUT_SECONDS = 10;

    @TempDir
    Path dataDir;

    private GatewayServer gateway;
    private int port;
    private final List<SwitchboardClient> clients = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (SwitchboardClient c : clients) {
            c.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private void startGateway(int onPort) throws InterruptedException {
        gateway = new GatewayServer(GatewayConfig.builder()
                .host("127.0.0.1")
                .port(onPort)
                .dataDir(dataDir.toString())
                .reconnectGrace(Duration.ofSeconds(30))
                .shutdownTimeout(Duration.ofSeconds(2))
                .build()).start();
        port = gateway.localAddress().getPort();
    }

    private void restartGateway() throws InterruptedException {
        gateway.close();
        gateway = null;
        startGateway(port);
    }

    private SwitchboardClient.Builder builder(String userId) {
        return SwitchboardClient.builder(URI.create("ws://127.0.0.1:" + port + "/pinter/imserver"), userId)
                // Reconnect fast: the tests wait on the reconnect, not on a production backoff.
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200));
    }

    private SwitchboardClient started(SwitchboardClient.Builder b) throws Exception {
        final SwitchboardClient c = b.build();
        clients.add(c);
        c.start().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        // The client's handshake can complete before the gateway has registered the session (an agent not yet
        // matchable); an answered ping proves the registration, which precedes reading the connection's frames.
        assertEquals("pong", await(c.request("ping", null, null)).type());
        return c;
    }

    /** Collects what the handler is given; the test thread takes from it with a timeout. */
    private static final class Inbox implements MessageHandler {
        final BlockingQueue<Envelope> queue = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(Envelope message) {
            queue.add(message);
        }

        Envelope next(String type) throws InterruptedException {
            for (;;) {
                final Envelope e = queue.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                assertNotNull(e, () -> "no " + type + " within " + TIMEOUT_SECONDS + " s");
                if (type.equals(e.type())) {
                    return e;
                }
            }
        }

        /** The next {@code n} {@code normal} messages' texts. */
        List<String> texts(int n) throws InterruptedException {
            final List<String> out = new ArrayList<>();
            while (out.size() < n) {
                out.add(next("normal").msg());
            }
            return out;
        }
    }

    private static Envelope await(CompletableFuture<Envelope> f) throws Exception {
        return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Pairs {@code user} with {@code agentId}; returns after the agent's handler saw the match notice. */
    private static void pair(SwitchboardClient user, Inbox agentInbox, String agentId) throws Exception {
        final Envelope answer = await(user.match());
        assertEquals("0", answer.code(), answer::toString);
        assertEquals(agentId, answer.msg());
        assertNull(answer.seq(), "an answer is not a push");
        assertEquals(user.userId(), agentInbox.next("match").msg());
    }

    /**
     * Closes the client's socket from under it, as when a network path dies: closed from the pipeline's head, so the
     * WebSocket protocol handler sends no close frame.
     */
    private static void drop(SwitchboardClient c) throws Exception {
        final Channel ch = c.channel();
        assertNotNull(ch, "not connected");
        ch.pipeline().firstContext().close();
        ch.closeFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void redeliveriesAfterAnAbruptDropAreDroppedAndTheApplicationSeesEachMessageOnce() throws Exception {
        startGateway(0);
        final Inbox agentInbox = new Inbox();
        final SwitchboardClient agent = started(builder("t1").agent(true).onMessage(agentInbox));
        final Inbox userInbox = new Inbox();
        // No ack leaves before the drop, and no since on the reconnect: the gateway resends all five, and only the
        // client's seq check stands between them and the application.
        final SwitchboardClient user = started(builder("u1").onMessage(userInbox)
                .ackInterval(Duration.ofHours(1)).resumeWithSince(false));
        pair(user, agentInbox, "t1");
        for (int i = 1; i <= 5; i++) {
            assertEquals("push success", await(agent.send("u1", "m" + i)).msg());
        }
        assertEquals(List.of("m1", "m2", "m3", "m4", "m5"), userInbox.texts(5));

        drop(user);
        // Sent after the drop: it follows the redeliveries on the new connection, so when it arrives they have too.
        assertTrue(await(agent.send("u1", "m6")).isSuccess());
        final Envelope sixth = userInbox.next("normal");
        assertEquals("m6", sixth.msg());
        assertEquals("6", sixth.seq());
        final ClientStats stats = user.stats();
        assertEquals(5, stats.duplicatesDropped(), stats::toString);
        assertEquals(0, stats.gaps());
        assertEquals(1, stats.reconnects());
        // m6's own bookkeeping may still be on its way back from the handler thread; m5's is done.
        assertTrue(stats.lastProcessedSeq() >= 5, stats::toString);
        assertTrue(userInbox.queue.isEmpty(), () -> "more than once: " + userInbox.queue);
    }

    @Test
    void aGatewayRestartLosesAndRepeatsNothingAndASendMadeWhileItIsDownGoesAfterTheReconnect() throws Exception {
        startGateway(0);
        final Inbox agentInbox = new Inbox();
        final SwitchboardClient agent = started(builder("t1").agent(true).onMessage(agentInbox));
        final Inbox userInbox = new Inbox();
        final SwitchboardClient user = started(builder("u1").onMessage(userInbox));
        pair(user, agentInbox, "t1");
        for (int i = 1; i <= 3; i++) {
            await(agent.send("u1", "m" + i));
        }
        assertEquals(List.of("m1", "m2", "m3"), userInbox.texts(3));

        gateway.close();
        // The gateway is down: the send waits for the reconnect (same msgId), then goes.
        final CompletableFuture<Envelope> whileDown = agent.send("u1", "m4");
        final CompletableFuture<Envelope> userWhileDown = user.send("t1", "question");
        startGateway(port);
        assertTrue(await(whileDown).isSuccess(), () -> whileDown.join().toString());
        assertTrue(await(userWhileDown).isSuccess(), () -> userWhileDown.join().toString());
        final Envelope fourth = userInbox.next("normal");
        assertEquals("m4", fourth.msg());
        assertEquals("4", fourth.seq(), "the sequence survives the restart");
        assertEquals("question", agentInbox.next("normal").msg());
        await(agent.send("u1", "m5"));
        assertEquals("m5", userInbox.next("normal").msg());

        final ClientStats stats = user.stats();
        assertEquals(0, stats.duplicatesDropped(), "resumed with since: nothing processed was sent again");
        assertEquals(0, stats.gaps());
        assertTrue(stats.reconnects() >= 1, stats::toString);
        assertTrue(userInbox.queue.isEmpty(), () -> "unexpected: " + userInbox.queue);
        assertTrue(agentInbox.queue.isEmpty(), () -> "unexpected: " + agentInbox.queue);
    }

    @Test
    void aSendWhoseReceiptWasLostInADropIsResentWithItsMsgIdAndDeliveredOnce() throws Exception {
        startGateway(0);
        final Inbox agentInbox = new Inbox();
        started(builder("t1").agent(true).onMessage(agentInbox));
        final SwitchboardClient user = started(builder("u1"));
        pair(user, agentInbox, "t1");

        // The user stops reading: the receipt will sit unread in its socket when the socket is dropped.
        final Channel ch = user.channel();
        ch.eventLoop().submit(() -> ch.config().setAutoRead(false)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        final CompletableFuture<Envelope> receipt = user.send("t1", "only once");
        final Envelope delivered = agentInbox.next("normal");
        assertEquals("only once", delivered.msg());
        assertFalse(receipt.isDone(), "the receipt was read although reading was off");
        drop(user);

        final Envelope r = await(receipt);
        assertEquals("push success", r.msg(), "the gateway's first answer, for the resend");
        assertEquals(delivered.msgId(), r.msgId());
        assertEquals(1, user.stats().reconnects());
        // The user's messages reach the agent in order: a second copy would come before this one.
        await(user.send("t1", "next"));
        assertEquals("next", agentInbox.next("normal").msg());
        assertTrue(agentInbox.queue.isEmpty(), () -> "delivered twice: " + agentInbox.queue);
    }

    @Test
    void theSenderIsToldWhenTheRecipientAcknowledged() throws Exception {
        startGateway(0);
        final Inbox agentInbox = new Inbox();
        started(builder("t1").agent(true).onMessage(agentInbox));
        final CompletableFuture<String[]> notice = new CompletableFuture<>();
        final SwitchboardClient user = started(builder("u1")
                .onDelivered((msgId, recipient, seq, e) -> notice.complete(new String[] {msgId, recipient, seq})));
        pair(user, agentInbox, "t1");

        final Envelope receipt = await(user.send("t1", "is my order shipped?"));
        final Envelope got = agentInbox.next("normal");
        final String[] d = notice.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals(receipt.msgId(), d[0]);
        assertEquals("t1", d[1]);
        assertEquals(got.seq(), d[2]);
    }

    @Test
    void aReplacedClientStopsAndDoesNotTakeItsUserIdBack() throws Exception {
        startGateway(0);
        final SwitchboardClient first = started(builder("u1"));
        final SwitchboardClient second = started(builder("u1"));
        assertEquals(StopReason.REPLACED, first.stopFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, first.stats().reconnects());
        assertFalse(first.stats().connected());
        // Stopped means stopped: requests fail at once instead of waiting for a connection that will not come.
        final CompletableFuture<Envelope> late = first.send("t1", "x");
        assertTrue(late.isCompletedExceptionally() || late.handle((ok, err) -> err != null)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        // The replacement keeps its connection: a round trip on it works and it was never replaced back.
        assertEquals("NO_AGENT", await(second.match()).reason());
        assertFalse(second.stopFuture().isDone());
        assertEquals(0, second.stats().reconnects());
    }
}
