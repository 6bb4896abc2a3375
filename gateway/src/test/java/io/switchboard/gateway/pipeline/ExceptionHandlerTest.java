package io.switchboard.gateway.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ExceptionHandlerTest {

    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
    private final ExceptionHandler handler = new ExceptionHandler(metrics);

    private long unexpected() {
        return metrics.snapshot().get("errors.unexpected");
    }

    private EmbeddedChannel upgraded() {
        final EmbeddedChannel ch = new EmbeddedChannel(handler);
        ch.attr(SessionAttributes.SESSION).set(new Session(new ConnectionIdentity("u", Role.USER), ch, 0));
        return ch;
    }

    private static void assertClosedWith(EmbeddedChannel ch, int status) {
        final CloseWebSocketFrame close = ch.readOutbound();
        try {
            assertEquals(status, close.statusCode());
        } finally {
            close.release();
        }
        assertFalse(ch.isOpen());
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    private static void assertClosedSilently(EmbeddedChannel ch) {
        assertFalse(ch.isOpen());
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void anOversizedMessageClosesWith1009() {
        final EmbeddedChannel ch = upgraded();
        ch.pipeline().fireExceptionCaught(new TooLongFrameException("WebSocketFrameAggregator: 70000 > 65536"));
        assertClosedWith(ch, 1009);
        assertEquals(0, unexpected());
    }

    @Test
    void anUnexpectedErrorIsCountedAndClosesWith1011AfterTheUpgrade() {
        final EmbeddedChannel ch = upgraded();
        ch.pipeline().fireExceptionCaught(new IllegalStateException("boom (expected by this test)"));
        assertClosedWith(ch, WebSocketCloseStatus.INTERNAL_SERVER_ERROR.code());
        assertEquals(1, unexpected());
    }

    @Test
    void anUnexpectedErrorBeforeTheUpgradeIsCountedAndCloses() {
        final EmbeddedChannel ch = new EmbeddedChannel(handler);
        ch.pipeline().fireExceptionCaught(new NullPointerException("boom (expected by this test)"));
        assertClosedSilently(ch);
        assertEquals(1, unexpected());
    }

    @Test
    void aPeerResetClosesQuietly() {
        final EmbeddedChannel ch = upgraded();
        ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        assertClosedSilently(ch);
        assertEquals(0, unexpected());
    }

    @Test
    void aPeerGoneInTheMiddleOfAMessageClosesQuietly() {
        final EmbeddedChannel ch = upgraded();
        ch.pipeline().fireExceptionCaught(new PrematureChannelClosureException("closed mid-fragment"));
        assertClosedSilently(ch);
        assertEquals(0, unexpected());
    }

    @Test
    void aProtocolViolationClosesWithoutASecondCloseFrame() {
        final EmbeddedChannel ch = upgraded();
        ch.pipeline().fireExceptionCaught(new CorruptedWebSocketFrameException(
                WebSocketCloseStatus.PROTOCOL_ERROR, "unmasked client frame"));
        assertClosedSilently(ch);
        assertEquals(0, unexpected());
    }

    @Test
    void aFailedHandshakeCloses() {
        final EmbeddedChannel ch = new EmbeddedChannel(handler);
        ch.pipeline().fireExceptionCaught(new WebSocketHandshakeException("bad upgrade"));
        assertClosedSilently(ch);
        assertEquals(0, unexpected());
    }

    @Test
    void theHandlerIsSharable() {
        final EmbeddedChannel a = new EmbeddedChannel(handler);
        final EmbeddedChannel b = new EmbeddedChannel(handler);
        a.pipeline().fireExceptionCaught(new IOException("reset"));
        assertClosedSilently(a);
        b.pipeline().fireExceptionCaught(new IOException("reset"));
        assertClosedSilently(b);
    }
}
