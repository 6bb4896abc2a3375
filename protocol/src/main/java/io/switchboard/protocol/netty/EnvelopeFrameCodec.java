package io.switchboard.protocol.netty;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import io.switchboard.protocol.json.MalformedEnvelopeException;
import java.io.IOException;
import java.util.List;

/**
 * The ByteBuf boundary of a WebSocket connection, used by the gateway and by clients alike.
 *
 * <p>Inbound, a {@link TextWebSocketFrame} becomes an {@link InboundFrame}: the envelope, or the reason the text is
 * not one (never an exception). A {@link BinaryWebSocketFrame} is answered with close 1003 ({@code PROTOCOL.md} §1).
 * Other frames (ping, pong, close) pass through untouched. Continuation frames must not reach this codec: put a
 * {@code WebSocketFrameAggregator} before it. Outbound, an {@link Envelope} becomes a {@link TextWebSocketFrame}
 * written straight into a buffer from the channel's allocator; any other outbound message, notably a pre-encoded
 * {@link TextWebSocketFrame} that a fan-out shares among recipients, passes through untouched.
 *
 * <p>Runs on the channel's event loop. Releases every inbound frame it decodes (by {@link MessageToMessageCodec});
 * an outbound buffer is released here if serialization fails, otherwise owned by Netty once written. Created per
 * channel (not {@code @Sharable}) so that Netty's read-more bookkeeping works when auto-read is off.
 */
public final class EnvelopeFrameCodec extends MessageToMessageCodec<WebSocketFrame, Envelope> {

    private final EnvelopeJson json;

    /**
     * @param json the shared, immutable JSON codec
     */
    public EnvelopeFrameCodec(EnvelopeJson json) {
        this.json = requireNonNull(json, "json");
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (frame instanceof TextWebSocketFrame) {
            out.add(decodeText(frame.content()));
        } else if (frame instanceof BinaryWebSocketFrame) {
            // PROTOCOL.md §1: binary frames close with 1003 (RFC 6455 §7.4.1: a type of data it cannot accept).
            ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.UNSUPPORTED_DATA, "binary frames are not supported"))
               .addListener(ChannelFutureListener.CLOSE);
        } else {
            out.add(frame.retain());
        }
    }

    private InboundFrame decodeText(ByteBuf content) {
        if (!content.isReadable()) {
            return InboundFrame.malformed("empty message");
        }
        try (ByteBufInputStream in = new ByteBufInputStream(content)) {
            return InboundFrame.of(json.read(in));
        } catch (MalformedEnvelopeException e) {
            return InboundFrame.malformed(e.getMessage() == null ? "malformed JSON" : e.getMessage());
        } catch (IOException e) {
            // Reading a heap/direct ByteBuf cannot fail with I/O; treat anything here as malformed input.
            return InboundFrame.malformed("unreadable message");
        }
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Envelope envelope, List<Object> out) throws IOException {
        final ByteBuf buf = ctx.alloc().buffer(256);
        if (ReceiptEncoder.write(envelope, buf)) {
            out.add(new TextWebSocketFrame(buf)); // the receipt every routed message gets, from pre-encoded parts
            return;
        }
        boolean written = false;
        try (ByteBufOutputStream stream = new ByteBufOutputStream(buf)) {
            json.write(envelope, stream);
            written = true;
        } finally {
            if (!written) {
                buf.release();
            }
        }
        out.add(new TextWebSocketFrame(buf));
    }
}
