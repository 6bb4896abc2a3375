package io.switchboard.gateway.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IdleCloseHandlerTest {

    private static void assertPing(EmbeddedChannel ch) {
        final Object o = ch.readOutbound();
        try {
            assertInstanceOf(PingWebSocketFrame.class, o);
        } finally {
            io.netty.util.ReferenceCountUtil.release(o);
        }
    }

    private static void assertClose1001(EmbeddedChannel ch) {
        final CloseWebSocketFrame close = ch.readOutbound();
        try {
            assertEquals(1001, close.statusCode());
            assertEquals("idle timeout", close.reasonText());
        } finally {
            close.release();
        }
    }

    @Test
    void writerIdleSendsAPing() {
        final EmbeddedChannel ch = new EmbeddedChannel(new IdleCloseHandler());
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_WRITER_IDLE_STATE_EVENT);
        assertPing(ch);
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.WRITER_IDLE_STATE_EVENT);
        assertPing(ch);
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void readerIdleClosesWith1001() {
        final EmbeddedChannel ch = new EmbeddedChannel(new IdleCloseHandler());
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertClose1001(ch);
        assertFalse(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void otherEventsPassOnAndAllIdleIsIgnored() {
        final List<Object> seen = new ArrayList<>();
        final EmbeddedChannel ch = new EmbeddedChannel(new IdleCloseHandler(), new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                seen.add(evt);
            }
        });
        ch.pipeline().fireUserEventTriggered("custom");
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertEquals(List.of("custom"), seen);
        assertNull(ch.readOutbound());
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void withIdleStateHandlerOnTheClock() {
        // ping after 20 s without writing, close after 30 s without reading
        // The clock is frozen before the handlers start it: only advanceTimeBy moves it, never the real time a cold
        // JVM spends in between (which made the 19.999 s check below fire early).
        final EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new IdleStateHandler(30, 20, 0, TimeUnit.SECONDS), new IdleCloseHandler());
        ch.advanceTimeBy(19_999, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertNull(ch.readOutbound());

        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertPing(ch);
        assertTrue(ch.isOpen());

        // A pong read at 25 s counts as traffic: no close at 30 s.
        ch.advanceTimeBy(5, TimeUnit.SECONDS);
        final PongWebSocketFrame pong = new PongWebSocketFrame();
        ch.writeInbound(pong);
        final Object passed = ch.readInbound();
        assertSame(pong, passed);
        pong.release();
        ch.advanceTimeBy(5, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        assertNull(ch.readOutbound());

        // Silence until 55 s: the reader-idle deadline (25 s + 30 s) closes the connection with 1001; the writer
        // pinged once more at 40 s.
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertPing(ch);
        ch.advanceTimeBy(15, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertClose1001(ch);
        assertFalse(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }
}
