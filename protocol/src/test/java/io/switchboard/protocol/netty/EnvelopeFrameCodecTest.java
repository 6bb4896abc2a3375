package io.switchboard.protocol.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link EnvelopeFrameCodec} on an {@link EmbeddedChannel}; every test owns and releases what it reads. */
class EnvelopeFrameCodecTest {

    private static final EnvelopeJson JSON = EnvelopeJson.create();

    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new EnvelopeFrameCodec(JSON));
    }

    private static TextWebSocketFrame text(String s) {
        return new TextWebSocketFrame(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    private static InboundFrame readInbound(EmbeddedChannel ch, String text) {
        assertTrue(ch.writeInbound(text(text)));
        return assertInstanceOf(InboundFrame.class, ch.readInbound());
    }

    @Test
    void textFrameBecomesValidInboundFrame() {
        final EmbeddedChannel ch = channel();
        final InboundFrame frame =
                readInbound(ch, "{\"type\":\"normal\",\"msgId\":\"111\",\"to\":\"peer\",\"msg\":\"你好\"}");
        assertTrue(frame.isValid());
        assertNull(frame.problem());
        assertEquals(Envelope.client("normal", "111", "peer", "你好"), frame.envelope());
        assertNull(ch.readInbound());
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void malformedTextBecomesMalformedInboundFrameAndKeepsTheChannel() {
        final EmbeddedChannel ch = channel();
        for (String bad : new String[] {"not json", "{\"type\":1}", "{\"type\":\"ping\"} x", "{\"type\":\"ping\"}{}",
                "[]", "null", "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}"}) {
            final InboundFrame frame = readInbound(ch, bad);
            assertFalse(frame.isValid(), bad);
            assertNull(frame.envelope(), bad);
            assertNotNull(frame.problem(), bad);
            assertTrue(ch.isOpen(), bad);
            assertNull(ch.readOutbound(), bad);
        }
        // Still usable afterwards.
        assertTrue(readInbound(ch, "{\"type\":\"ping\"}").isValid());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void emptyTextFrameIsMalformed() {
        final EmbeddedChannel ch = channel();
        ch.writeInbound(new TextWebSocketFrame(Unpooled.EMPTY_BUFFER));
        final InboundFrame frame = assertInstanceOf(InboundFrame.class, ch.readInbound());
        assertFalse(frame.isValid());
        assertNotNull(frame.problem());
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void inboundFrameIsReleasedByTheCodec() {
        final EmbeddedChannel ch = channel();
        final TextWebSocketFrame in = text("{\"type\":\"ping\"}");
        ch.writeInbound(in);
        assertEquals(0, in.refCnt());
        final TextWebSocketFrame bad = text("garbage");
        ch.writeInbound(bad);
        assertEquals(0, bad.refCnt());
        assertTrue(assertInstanceOf(InboundFrame.class, ch.readInbound()).isValid());
        assertFalse(assertInstanceOf(InboundFrame.class, ch.readInbound()).isValid());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void binaryFrameClosesWith1003() {
        final EmbeddedChannel ch = channel();
        final BinaryWebSocketFrame binary = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        ch.writeInbound(binary);
        assertEquals(0, binary.refCnt());
        assertNull(ch.readInbound());
        final CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        try {
            assertEquals(1003, close.statusCode());
            assertEquals(CloseCodes.UNSUPPORTED_DATA.code(), close.statusCode());
        } finally {
            close.release();
        }
        assertNull(ch.readOutbound());
        // Closed once the close frame was flushed.
        assertFalse(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void pingPongAndCloseFramesPassThroughUnchanged() {
        final EmbeddedChannel ch = channel();
        final WebSocketFrame[] frames = {
            new PingWebSocketFrame(Unpooled.copiedBuffer("ping!", StandardCharsets.US_ASCII)),
            new PongWebSocketFrame(Unpooled.copiedBuffer("pong!", StandardCharsets.US_ASCII)),
            new CloseWebSocketFrame(CloseCodes.NORMAL, "bye"),
        };
        for (WebSocketFrame frame : frames) {
            assertTrue(ch.writeInbound(frame));
            final WebSocketFrame read = ch.readInbound();
            try {
                assertSame(frame, read);
                assertEquals(1, read.refCnt()); // the codec retained it once and released its own reference
            } finally {
                read.release();
            }
            assertEquals(0, frame.refCnt());
        }
        assertNull(ch.readInbound());
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void passedThroughFramesKeepTheirContent() {
        final EmbeddedChannel ch = channel();
        ch.writeInbound(new CloseWebSocketFrame(CloseCodes.REPLACED));
        final CloseWebSocketFrame close = ch.readInbound();
        try {
            assertEquals(4001, close.statusCode());
            assertEquals("replaced", close.reasonText());
        } finally {
            close.release();
        }
        ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {9, 8, 7})));
        final PingWebSocketFrame ping = ch.readInbound();
        try {
            assertEquals(3, ping.content().readableBytes());
            assertEquals(9, ping.content().getByte(0));
        } finally {
            ping.release();
        }
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void outboundEnvelopeBecomesATextFrameThatParsesBack() throws IOException {
        final EmbeddedChannel ch = channel();
        final Envelope envelope = new Envelope("receipt", "111", "system", "admin", "消息内容为空 😀", "1",
                "1665630374482", "EMPTY_MSG");
        assertTrue(ch.writeOutbound(envelope));
        final TextWebSocketFrame frame = assertInstanceOf(TextWebSocketFrame.class, ch.readOutbound());
        try {
            assertEquals(envelope, JSON.read(ByteBufUtil.getBytes(frame.content())));
            assertEquals(new String(JSON.toBytes(envelope), StandardCharsets.UTF_8), frame.text());
            assertTrue(frame.isFinalFragment());
        } finally {
            frame.release();
        }
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void outboundNonEnvelopeFramesPassThrough() {
        final EmbeddedChannel ch = channel();
        final PingWebSocketFrame ping = new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1}));
        ch.writeOutbound(ping);
        final Object read = ch.readOutbound();
        try {
            assertSame(ping, read);
        } finally {
            ping.release();
        }
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void largeMessageRoundTrips() throws IOException {
        final EmbeddedChannel ch = channel();
        // 60 KiB of UTF-8: mixes 1-, 3- and 4-byte sequences so chunk boundaries fall mid-character somewhere.
        final StringBuilder sb = new StringBuilder();
        while (sb.toString().getBytes(StandardCharsets.UTF_8).length < 60 * 1024) {
            sb.append("abc中文😀\"\\/\n");
        }
        final Envelope envelope = new Envelope("normal", "big", "admin", "peer", sb.toString(), "0", "1", null);

        assertTrue(ch.writeOutbound(envelope));
        final TextWebSocketFrame out = assertInstanceOf(TextWebSocketFrame.class, ch.readOutbound());
        assertTrue(out.content().readableBytes() > 60 * 1024);
        // Feed the encoded frame straight back in: the codec is shared by the gateway and the load tester.
        assertTrue(ch.writeInbound(out));
        final InboundFrame in = assertInstanceOf(InboundFrame.class, ch.readInbound());
        assertTrue(in.isValid(), in::toString);
        assertEquals(envelope, in.envelope());
        assertEquals(0, out.refCnt());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void rejectsNullJson() {
        assertThrows(NullPointerException.class, () -> new EnvelopeFrameCodec(null));
    }

    @Test
    void inboundFrameFactories() {
        assertThrows(NullPointerException.class, () -> InboundFrame.of(null));
        assertThrows(NullPointerException.class, () -> InboundFrame.malformed(null));
        final InboundFrame valid = InboundFrame.of(Envelope.client("ping", null, null, null));
        assertEquals("InboundFrame(ping)", valid.toString());
        assertEquals("InboundFrame(malformed: why)", InboundFrame.malformed("why").toString());
    }

    @Test
    void preEncodedTextFramePassesThroughOutbound() {
        // The push API encodes a fan-out once and writes TextWebSocketFrame(buf.retainedDuplicate()) per recipient.
        final EmbeddedChannel ch = new EmbeddedChannel(new EnvelopeFrameCodec(EnvelopeJson.create()));
        final io.netty.buffer.ByteBuf shared =
                io.netty.buffer.Unpooled.copiedBuffer("{\"type\":\"normal\"}", java.nio.charset.StandardCharsets.UTF_8);
        try {
            assertTrue(ch.writeOutbound(new TextWebSocketFrame(shared.retainedDuplicate())));
            final TextWebSocketFrame out = ch.readOutbound();
            try {
                assertEquals("{\"type\":\"normal\"}", out.text());
            } finally {
                out.release();
            }
            assertEquals(1, shared.refCnt());
        } finally {
            shared.release();
        }
        assertFalse(ch.finishAndReleaseAll());
    }
}
