package io.switchboard.gateway.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.ShardedSessionRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link IdleSweeper} with {@link CloseStatusHandler} stamping the frames: pings when quiet, 1001 when silent. */
class IdleSweeperTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 16);
    private final IdleSweeper sweeper = new IdleSweeper(registry, 30 * SECOND, 20 * SECOND, System::nanoTime);

    private Session connected(EmbeddedChannel ch) {
        final Session session = new Session(new ConnectionIdentity("u", Role.USER), ch, 0L);
        ch.attr(SessionAttributes.SESSION).set(session);
        registry.register(session);
        return session;
    }

    @Test
    void pingsAfterTheIntervalWithoutWritingAndClosesAfterTheTimeoutWithoutReading() {
        // No CloseStatusHandler here: it stamps the real clock, and this test runs the sweep on a clock of its own.
        final EmbeddedChannel ch = new EmbeddedChannel();
        final Session session = connected(ch);
        final long t0 = System.nanoTime();

        sweeper.check(session, t0 + 19 * SECOND);
        assertNull(ch.readOutbound(), "nothing before the ping interval");
        sweeper.check(session, t0 + 21 * SECOND);
        assertInstanceOf(PingWebSocketFrame.class, release(ch.readOutbound()));
        sweeper.check(session, t0 + 22 * SECOND);
        assertNull(ch.readOutbound(), "one ping per interval");

        // A pong read counts as traffic: no close at 30 s.
        session.read(t0 + 25 * SECOND);
        sweeper.check(session, t0 + 31 * SECOND);
        assertNull(ch.readOutbound());
        assertTrue(ch.isOpen());

        sweeper.check(session, t0 + 56 * SECOND);
        final CloseWebSocketFrame close = ch.readOutbound();
        try {
            assertEquals(1001, close.statusCode());
            assertEquals("idle timeout", close.reasonText());
        } finally {
            close.release();
        }
        assertFalse(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void theFramesThatPassStampTheSession() {
        final EmbeddedChannel ch = new EmbeddedChannel(new CloseStatusHandler());
        final Session session = connected(ch);
        final long before = session.lastReadNanos();
        ch.writeInbound(new PongWebSocketFrame());
        assertTrue(session.lastReadNanos() - before >= 0);
        ReferenceCountUtil.release(ch.readInbound());
        final long wroteBefore = session.lastWriteNanos();
        ch.writeOutbound(new PingWebSocketFrame());
        assertTrue(session.lastWriteNanos() - wroteBefore >= 0);
        ReferenceCountUtil.release(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void thePeriodIsAQuarterOfTheShorterIntervalWithinBounds() {
        assertEquals(SECOND, sweeper.periodNanos());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(37) + 500_000,
                     new IdleSweeper(registry, TimeUnit.MILLISECONDS.toNanos(600),
                                     TimeUnit.MILLISECONDS.toNanos(150), System::nanoTime).periodNanos());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(10),
                     new IdleSweeper(registry, 1_000_000, 1_000_000, System::nanoTime).periodNanos());
    }

    private static Object release(Object o) {
        ReferenceCountUtil.release(o);
        return o;
    }
}
