package io.switchboard.gateway.chat;

import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.ShardedSessionRegistry;
import io.switchboard.protocol.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The slow-consumer policy: hold for an unwritable peer, deliver when it catches up, close 1013 if it does not. */
class LocalRouterTest {

    private static final long SLOW_MILLIS = 10_000;

    private final ShardedSessionRegistry registry = new ShardedSessionRegistry(2, 16);
    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
    private final OfflineStore offline =
            new OfflineStore(registry, metrics, 100, 1000, TimeUnit.MINUTES.toNanos(10), System::nanoTime);
    private final LocalRouter router =
            new LocalRouter(registry, offline, metrics, TimeUnit.MILLISECONDS.toNanos(SLOW_MILLIS));
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void finish() {
        for (EmbeddedChannel ch : channels) {
            assertNull(ch.readOutbound(), "unexpected message left");
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    private Session connect(String userId) {
        final EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        final Session s = new Session(new ConnectionIdentity(userId, Role.USER), ch, 0);
        registry.register(s);
        return s;
    }

    private static Envelope message(String text) {
        return new Envelope("normal", text, "a", "u", text, "0", "1", null);
    }

    private static void setWritable(Session s, boolean writable) {
        s.channel().unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
        assertEquals(writable, s.channel().isWritable());
    }

    private static List<String> texts(Session s) {
        final List<String> texts = new ArrayList<>();
        for (Object o; (o = ((EmbeddedChannel) s.channel()).readOutbound()) != null; ) {
            texts.add(((Envelope) o).msg());
        }
        return texts;
    }

    @Test
    void liveWhenConnectedAndWritable() {
        final Session u = connect("u");
        assertEquals(Router.Delivery.LIVE, done(router.deliver("u", message("hi"))));
        assertEquals(List.of("hi"), texts(u));
    }

    @Test
    void heldWhenOffline() {
        assertEquals(Router.Delivery.HELD, done(router.deliver("nobody", message("hi"))));
        assertEquals(1, offline.size("nobody"));
        assertEquals(0, metrics.snapshot().get("slow_consumers.held"));
    }

    @Test
    void aSlowPeerIsHeldForThenDeliveredInOrderWhenItCatchesUp() {
        final Session u = connect("u");
        setWritable(u, false);
        assertEquals(Router.Delivery.HELD, done(router.deliver("u", message("m1"))));
        assertEquals(Router.Delivery.HELD, done(router.deliver("u", message("m2"))));
        assertEquals(1, metrics.snapshot().get("slow_consumers.held"), "one check armed for a burst");
        ((EmbeddedChannel) u.channel()).runPendingTasks();
        assertEquals(List.of(), texts(u));

        setWritable(u, true);
        // While something is held, a new message queues behind it even though the peer is writable again.
        assertEquals(Router.Delivery.HELD, done(router.deliver("u", message("m3"))));
        router.onWritable(u);
        assertEquals(List.of("m1", "m2", "m3"), texts(u));
        assertEquals(0, offline.size());
        assertEquals(Router.Delivery.LIVE, done(router.deliver("u", message("m4"))));
        assertEquals(List.of("m4"), texts(u));

        // The check that was armed finds the peer writable: no close.
        ((EmbeddedChannel) u.channel()).advanceTimeBy(SLOW_MILLIS, TimeUnit.MILLISECONDS);
        ((EmbeddedChannel) u.channel()).runScheduledPendingTasks();
        assertTrue(u.channel().isOpen());
        assertEquals(0, metrics.snapshot().get("slow_consumers.closed"));
    }

    @Test
    void aPeerThatStaysUnwritableIsClosedWith1013AndItsMessagesWait() {
        final Session u = connect("u");
        final EmbeddedChannel ch = (EmbeddedChannel) u.channel();
        setWritable(u, false);
        done(router.deliver("u", message("m1")));
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
        assertEquals(1, offline.size("u"), "held for the reconnect");

        registry.unregister(u);
        final Session back = connect("u");
        offline.drainTo(back);
        assertEquals(List.of("m1"), texts(back));
    }

    @Test
    void onWritableIgnoresAReplacedSession() {
        final Session old = connect("u");
        setWritable(old, false);
        done(router.deliver("u", message("m1")));
        connect("u"); // replaces old in the registry
        setWritable(old, true);
        router.onWritable(old);
        assertEquals(List.of(), texts(old), "the held message is for the live session, not the replaced one");
        assertEquals(1, offline.size("u"));
        offline.drainTo(registry.find("u"));
        assertEquals(List.of("m1"), texts(registry.find("u")));
    }
}
