package io.switchboard.gateway.pipeline;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.switchboard.protocol.netty.CloseCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on {@code idle-state}'s events ({@code PROTOCOL.md} §1): after a quiet write interval it sends a WebSocket
 * ping; after the idle timeout with nothing read (pongs included) it closes with 1001.
 *
 * <p>Sits right after {@code idle-state}, which is ahead of the WebSocket encoder, so frames are written from the
 * tail ({@code ctx.channel()}), not from this context. Runs on the channel's event loop. Stateless; {@code @Sharable}.
 */
@Sharable
final class IdleCloseHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(IdleCloseHandler.class);

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (!(evt instanceof IdleStateEvent)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        final IdleState state = ((IdleStateEvent) evt).state();
        if (state == IdleState.WRITER_IDLE) {
            ctx.channel().writeAndFlush(new PingWebSocketFrame());
        } else if (state == IdleState.READER_IDLE) {
            logger.debug("{} idle timeout, closing with 1001", ctx.channel());
            ctx.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.GOING_AWAY, "idle timeout"))
               .addListener(ChannelFutureListener.CLOSE);
        }
    }
}
