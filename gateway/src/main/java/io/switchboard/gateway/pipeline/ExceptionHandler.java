package io.switchboard.gateway.pipeline;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.tls.ServerTls;
import io.switchboard.protocol.netty.CloseCodes;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every pipeline: whatever was thrown and not handled ends here, is logged once at the right
 * level, counted, and the connection is closed with the matching status. A peer reset and a WebSocket protocol
 * violation (which Netty's decoder has already answered with its close frame) are DEBUG; an oversized fragmented
 * message gets 1009; anything unexpected is a WARN with the stack trace and 1011 (HTTP 500 before the upgrade).
 *
 * <p>Runs on the channel's event loop. Holds no buffers. Stateless; {@code @Sharable}.
 */
@Sharable
final class ExceptionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(ExceptionHandler.class);

    private final GatewayMetrics metrics;

    ExceptionHandler(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        final boolean upgraded = ctx.channel().hasAttr(SessionAttributes.SESSION)
                                 && ctx.channel().attr(SessionAttributes.SESSION).get() != null;
        if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            // A reset, or a peer that went away in the middle of a fragmented message: routine, not a server fault.
            logger.debug("{} I/O error: {}", ctx.channel(), cause.toString());
            ctx.close();
        } else if (cause instanceof CorruptedWebSocketFrameException) {
            // Netty's frame decoder already sent the close frame (1002/1007/1009) and closes the channel.
            logger.debug("{} WebSocket protocol violation: {}", ctx.channel(), cause.getMessage());
            ctx.close();
        } else if (cause instanceof TooLongFrameException) {
            // PROTOCOL.md §1: over the size limit after reassembling fragments.
            logger.debug("{} message too big: {}", ctx.channel(), cause.getMessage());
            closeWith(ctx, CloseCodes.MESSAGE_TOO_BIG, "message too big");
        } else if (ServerTls.isTlsFailure(cause)) {
            // After the TLS handshake (failed handshakes end in TlsFailureHandler): a bad record or an alert.
            logger.debug("{} TLS error: {}", ctx.channel(), cause.toString());
            ctx.close();
        } else if (cause instanceof WebSocketHandshakeException) {
            logger.debug("{} WebSocket handshake failed: {}", ctx.channel(), cause.getMessage());
            ctx.close();
        } else {
            metrics.unexpectedError();
            logger.warn("{} unexpected error, closing the connection", ctx.channel(), cause);
            if (upgraded) {
                closeWith(ctx, CloseCodes.INTERNAL_ERROR, "internal error");
            } else {
                internalServerError(ctx);
            }
        }
    }

    /** Before the upgrade the HTTP codec is still in place: answer 500 and close. */
    private static void internalServerError(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.pipeline().get(HttpServerCodec.class) != null) {
            final FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                                     HttpResponseStatus.INTERNAL_SERVER_ERROR);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            HttpUtil.setContentLength(res, 0);
            ctx.channel().writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private static void closeWith(ChannelHandlerContext ctx, WebSocketCloseStatus status, String reason) {
        if (ctx.channel().isActive()) {
            ctx.channel().writeAndFlush(new CloseWebSocketFrame(status, reason))
               .addListener(ChannelFutureListener.CLOSE);
        }
    }
}
