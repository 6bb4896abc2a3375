package io.switchboard.gateway.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.session.Session;

/**
 * Notes the first WebSocket close frame of a session, received from the client or written by the gateway, so that
 * the disconnect event can say why the connection ended (4001 replaced, 4003 kicked, 1001 idle, the client's code).
 * Frames pass on untouched; nothing is retained or released here.
 *
 * <p>Sits just before {@code ws-protocol}, which consumes the client's close frame, so it sees that frame and every
 * close written from the pipeline's tail. Runs on the channel's event loop. Stateless; {@code @Sharable}.
 */
@Sharable
final class CloseStatusHandler extends ChannelDuplexHandler {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof CloseWebSocketFrame close) {
            record(ctx, close, false);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof CloseWebSocketFrame close) {
            record(ctx, close, true);
        }
        ctx.write(msg, promise);
    }

    private static void record(ChannelHandlerContext ctx, CloseWebSocketFrame close, boolean byServer) {
        final Session session = ctx.channel().attr(SessionAttributes.SESSION).get();
        if (session != null) {
            session.recordClose(close.statusCode(), close.reasonText(), byServer);
        }
    }
}
