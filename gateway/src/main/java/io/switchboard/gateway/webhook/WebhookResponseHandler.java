package io.switchboard.gateway.webhook;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * Completes the in-flight request's promise (in {@link #RESPONSE}) with the status of the backend's response, or
 * fails it when the connection errs or closes first. Closes a connection the backend does not keep alive.
 *
 * <p>Last in a webhook client pipeline; runs on its event loop. The response is released by
 * {@link SimpleChannelInboundHandler}. Stateless; {@code @Sharable}.
 */
@Sharable
final class WebhookResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {

    /** The promise of the request in flight on this connection (at most one: requests are sequential). */
    static final AttributeKey<Promise<Integer>> RESPONSE = AttributeKey.valueOf("switchboard.webhook.response");

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
        final Promise<Integer> promise = ctx.channel().attr(RESPONSE).getAndSet(null);
        if (!HttpUtil.isKeepAlive(res)) {
            ctx.close();
        }
        if (promise != null) {
            promise.trySuccess(res.status().code());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(ctx, new ClosedChannelException());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause instanceof IOException ? cause : new IOException(cause));
        ctx.close();
    }

    private static void fail(ChannelHandlerContext ctx, Throwable cause) {
        final Promise<Integer> promise = ctx.channel().attr(RESPONSE).getAndSet(null);
        if (promise != null) {
            promise.tryFailure(cause);
        }
    }
}
