package io.switchboard.gateway.chat;

import static io.switchboard.gateway.chat.ChatFixture.ch;
import static io.switchboard.gateway.chat.ChatFixture.setWritable;
import static io.switchboard.gateway.chat.ChatFixture.texts;
import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.ShardedSessionRegistry;
import io.switchboard.protocol.Envelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LocalDelivery}: the live write when the recipient is connected, writable and has nothing held; the hold
 * otherwise, drained in order when it connects or catches up; a failed write held again in its place; and the
 * slow-consumer policy (hold for an unwritable peer, deliver when it catches up, close 1013 if it does not). Sessions
 * are only registered ({@link ChatFixture#register}), so nothing but the delivery drains.
 */
class LocalDeliveryTest {

    private static final long SLOW_MILLIS = 10_000;

    private final ChatFixture chat =
            ChatFixture.builder().slowConsumerTimeout(Duration.ofMillis(SLOW_MILLIS)).build();
    private final ShardedSessionRegistry registry = chat.registry();
    private final GatewayMetrics metrics = chat.metrics();
    private final MemoryHold hold = chat.hold();
    private final LocalDelivery delivery = chat.delivery();

    @AfterEach
    void finish() {
        chat.finish();
    }

    private Session connect(String userId) {
        return chat.register(userId);
    }

    /** A registered connection of {@code userId} whose writes fail as {@code writes} says. */
    private Session connect(String userId, FailingWrites writes) {
        final Session s = chat.session(userId, Role.USER, writes);
        registry.register(s);
        return s;
    }

    private static Envelope message(String text) {
        return new Envelope("normal", text, "a", "u", text, "0", "1", null);
    }

    // ---- live or held -----------------------------------------------------------------------------------------------

    @Test
    void liveWhenConnectedAndWritable() {
        final Session u = connect("u");
        assertEquals(Router.Delivery.LIVE, done(delivery.deliver("u", message("hi"))));
        assertEquals(List.of("hi"), texts(u));
        assertEquals(0, hold.size());
        assertFalse(hold.has("u"));
    }

    @Test
    void heldWhenOffline() {
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("nobody", message("hi"))));
        assertEquals(1, hold.size("nobody"));
        assertEquals(0, metrics.snapshot().get("slow_consumers.held"));
    }

    @Test
    void holdsForARegisteredUserThatIsNotWritable() {
        final Session bob = connect("bob");
        setWritable(bob, false);
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("bob", message("m1"))));
        setWritable(bob, true);
        // Something is held now: a new message queues behind it rather than overtaking it.
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("bob", message("m2"))));
        assertEquals(List.of(), texts(bob));
        assertEquals(2, delivery.drainTo(bob));
        assertEquals(List.of("m1", "m2"), texts(bob));
    }

    @Test
    void aPreEncodedMessageIsWrittenAsItsFrameAndHeldAsItsEnvelope() {
        final Session u = connect("u");
        final Envelope e = message("hi");
        final ByteBuf encoded = Unpooled.copiedBuffer("{\"msg\":\"hi\"}", StandardCharsets.UTF_8);
        try {
            assertEquals(Router.Delivery.LIVE, done(delivery.deliverEncoded("u", e, encoded)));
            assertEquals(Router.Delivery.HELD, done(delivery.deliverEncoded("nobody", e, encoded)));
        } finally {
            encoded.release(); // the caller's, after the last recipient
        }
        final TextWebSocketFrame frame = ch(u).readOutbound();
        try {
            assertEquals("{\"msg\":\"hi\"}", frame.text());
        } finally {
            frame.release();
        }
        assertEquals(0, encoded.refCnt(), "the live write took its own reference and Netty released it");
        final Session nobody = connect("nobody");
        delivery.drainTo(nobody);
        assertSame(e, ch(nobody).readOutbound(), "the hold keeps the envelope, not the encoding");
    }

    // ---- draining ---------------------------------------------------------------------------------------------------

    @Test
    void drainWritesTheSameEnvelopeObjects() {
        final Envelope e = message("x");
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("bob", e)));
        final Session bob = connect("bob");
        delivery.drainTo(bob);
        assertSame(e, ch(bob).readOutbound());
        assertNull(ch(bob).readOutbound());
    }

    // ---- failed writes ----------------------------------------------------------------------------------------------

    @Test
    void aFailedLiveWriteIsHeldAgainInItsPlaceAheadOfNewerOnes() {
        final FailingWrites writes = new FailingWrites().parkNext(1);
        final Session bob = connect("bob", writes);
        // m1 is routed first and written live; its write fails only after m2 and m3 were held.
        assertEquals(Router.Delivery.LIVE, done(delivery.deliver("bob", message("m1"))));
        setWritable(bob, false);
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("bob", message("m2"))));
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("bob", message("m3"))));
        writes.failParked();
        assertEquals(3, hold.size("bob"));
        setWritable(bob, true);
        ch(bob).runPendingTasks();
        assertEquals(List.of("m1", "m2", "m3"), texts(bob));
        assertEquals(0, hold.size());
    }

    @Test
    void aFailedWriteToAConnectedWritableUserIsDrainedOnItsLoop() {
        final Session u1 = connect("u1", new FailingWrites().failNext(1));
        assertEquals(Router.Delivery.LIVE, done(delivery.deliver("u1", message("late"))));
        assertEquals(1, hold.size("u1"), "the failed write is held again");
        assertEquals(1, hold.size());
        // u1 is connected and writable: the re-hold schedules a drain on its loop rather than waiting for a reconnect.
        ch(u1).runPendingTasks();
        assertEquals(List.of("late"), texts(u1));
        assertEquals(0, hold.size("u1"));
        assertEquals(0, hold.size());
    }

    @Test
    void aWriteThatFailsOnAReplacedConnectionReachesTheReplacement() {
        final FailingWrites writes = new FailingWrites().parkNext(1);
        final Session old = connect("u", writes);
        assertEquals(Router.Delivery.LIVE, done(delivery.deliver("u", message("m1"))));
        final Session replacement = connect("u");
        writes.failParked();
        ch(replacement).runPendingTasks();
        assertEquals(List.of("m1"), texts(replacement));
        assertEquals(List.of(), texts(old));
        assertEquals(0, hold.size());
    }

    // ---- slow consumers ---------------------------------------------------------------------------------------------

    @Test
    void aSlowPeerIsHeldForThenDeliveredInOrderWhenItCatchesUp() {
        final Session u = connect("u");
        setWritable(u, false);
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("u", message("m1"))));
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("u", message("m2"))));
        assertEquals(1, metrics.snapshot().get("slow_consumers.held"), "one check armed for a burst");
        ch(u).runPendingTasks();
        assertEquals(List.of(), texts(u));

        setWritable(u, true);
        // While something is held, a new message queues behind it even though the peer is writable again.
        assertEquals(Router.Delivery.HELD, done(delivery.deliver("u", message("m3"))));
        delivery.onWritable(u);
        assertEquals(List.of("m1", "m2", "m3"), texts(u));
        assertEquals(0, hold.size());
        assertEquals(Router.Delivery.LIVE, done(delivery.deliver("u", message("m4"))));
        assertEquals(List.of("m4"), texts(u));

        // The check that was armed finds the peer writable: no close.
        ch(u).advanceTimeBy(SLOW_MILLIS, TimeUnit.MILLISECONDS);
        ch(u).runScheduledPendingTasks();
        assertTrue(u.channel().isOpen());
        assertEquals(0, metrics.snapshot().get("slow_consumers.closed"));
    }

    @Test
    void aPeerThatStaysUnwritableIsClosedWith1013AndItsMessagesWait() {
        final Session u = connect("u");
        final EmbeddedChannel ch = ch(u);
        setWritable(u, false);
        done(delivery.deliver("u", message("m1")));
        ch.advanceTimeBy(SLOW_MILLIS - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());

        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        final CloseWebSocketFrame close = ch.readOutbound();
        try {
            assertEquals(1013, close.statusCode());
        } finally {
            close.release();
        }
        assertFalse(ch.isOpen());
        assertEquals(1, metrics.snapshot().get("slow_consumers.closed"));
        assertEquals(1, hold.size("u"), "held for the reconnect");

        registry.unregister(u);
        final Session back = connect("u");
        delivery.drainTo(back);
        assertEquals(List.of("m1"), texts(back));
    }

    @Test
    void onWritableIgnoresAReplacedSession() {
        final Session old = connect("u");
        setWritable(old, false);
        done(delivery.deliver("u", message("m1")));
        connect("u"); // replaces old in the registry
        setWritable(old, true);
        delivery.onWritable(old);
        assertEquals(List.of(), texts(old), "the held message is for the live session, not the replaced one");
        assertEquals(1, hold.size("u"));
        delivery.drainTo(registry.find("u"));
        assertEquals(List.of("m1"), texts(registry.find("u")));
    }
}
