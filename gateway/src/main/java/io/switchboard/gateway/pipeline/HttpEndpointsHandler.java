package io.switchboard.gateway.pipeline;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.gateway.http.HttpResponses;
import io.switchboard.gateway.http.OpsEndpoints;
import io.switchboard.gateway.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers every HTTP request that is not a WebSocket upgrade: {@code GET /healthz} (live), {@code GET /readyz}
 * (accepting connections and not draining), {@code GET /metrics} (Prometheus text, when given), all three answered
 * by {@link OpsEndpoints}; a WebSocket path without an upgrade (426), anything else 404/405, and requests the HTTP
 * decoder rejected (400, 414, 431). Upgrade requests pass on to the handshake guard untouched.
 *
 * <p>Sits after {@code http-aggregator}; runs on the channel's event loop. Releases every request it answers; an
 * upgrade request's ownership passes to the next handler. Stateless and {@code @Sharable}.
 */
@Sharable
final class HttpEndpointsHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(HttpEndpointsHandler.class);

    private final String wsPath;
    private final OpsEndpoints ops;
    private final GatewayMetrics metrics;

    /**
     * @param wsPath the WebSocket path prefix
     * @param ops    {@code /healthz}, {@code /readyz} and {@code /metrics}
     */
    HttpEndpointsHandler(String wsPath, OpsEndpoints ops, GatewayMetrics metrics) {
        this.wsPath = wsPath;
        this.ops = ops;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        final FullHttpRequest req = (FullHttpRequest) msg;
        if (req.decoderResult().isSuccess() && isUpgrade(req)) {
            ctx.fireChannelRead(req);
            return;
        }
        try {
            respond(ctx, req);
        } finally {
            ReferenceCountUtil.release(req);
        }
    }

    private void respond(ChannelHandlerContext ctx, FullHttpRequest req) {
        final DecoderResult result = req.decoderResult();
        if (result.isFailure()) {
            final Throwable cause = result.cause();
            final HttpResponseStatus status = cause instanceof TooLongHttpLineException
                    ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException
                            ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                            : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                                                                     : HttpResponseStatus.BAD_REQUEST;
            reject(ctx, status, "malformed HTTP request", false);
            return;
        }
        final String uri = req.uri();
        final int q = uri.indexOf('?');
        final String path = q < 0 ? uri : uri.substring(0, q);
        final boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (path.equals(wsPath) || path.startsWith(wsPath + '/')) {
            // A plain GET on the WebSocket endpoint: tell the client to upgrade (RFC 7231 §6.5.15).
            final FullHttpResponse res = HttpResponses.error(ctx, HttpResponseStatus.UPGRADE_REQUIRED,
                                                             "this endpoint speaks WebSocket only");
            res.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            res.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
            metrics.handshakeRejected(426);
            logger.debug("{} 426 WebSocket path without an upgrade", ctx.channel());
            HttpResponses.send(ctx, res, false);
            return;
        }
        if (!ops.serves(path)) {
            reject(ctx, HttpResponseStatus.NOT_FOUND, "no such endpoint", keepAlive);
        } else if (!HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
            methodNotAllowed(ctx, keepAlive);
        } else {
            HttpResponses.send(ctx, ops.respond(ctx, path), keepAlive);
        }
    }

    private static void methodNotAllowed(ChannelHandlerContext ctx, boolean keepAlive) {
        logger.debug("{} 405 only GET is allowed here", ctx.channel());
        final FullHttpResponse res = HttpResponses.error(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED,
                                                         "only GET is allowed here");
        res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        HttpResponses.send(ctx, res, keepAlive);
    }

    /** A client error: one DEBUG line with the status and what was wrong, never the URI (it may hold a token). */
    private static void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String why, boolean keepAlive) {
        logger.debug("{} {} {}", ctx.channel(), status.code(), why);
        HttpResponses.send(ctx, HttpResponses.error(ctx, status, why), keepAlive);
    }

    /** RFC 6455 §4.1: an opening handshake carries {@code Upgrade: websocket}. */
    static boolean isUpgrade(FullHttpRequest req) {
        return req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }
}
