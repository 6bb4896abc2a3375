package io.switchboard.gateway.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/1.1 connection rules shared by both listeners. Inbound: a request that ends the connection
 * ({@code Connection: close}, or HTTP/1.0 without keep-alive; RFC 9112 §9.6), or that the server answers with
 * {@code Connection: close}, is the last one read: reading stops and whatever was pipelined behind it (another
 * request, an upgrade) is released unseen. Outbound: every response gets {@code X-Content-Type-Options: nosniff}.
 *
 * <p>Sits right after the HTTP codec, before the aggregator, so it also sees the aggregator's own answers (413, 100).
 * Runs on the channel's event loop. One per channel (it remembers whether the last request closes); it releases what
 * it drops and passes everything else on untouched.
 */
public final class HttpConnectionHandler extends ChannelDuplexHandler {

    private static final Logger logger = LoggerFactory.getLogger(HttpConnectionHandler.class);
    private static final String X_CONTENT_TYPE_OPTIONS = "X-Content-Type-Options";
    private static final String NOSNIFF = "nosniff";

    /** The request being read asked to close the connection: its own body still passes, nothing after it. */
    private boolean closing;
    /** The last request was read in full (or the server is closing): nothing more is processed. */
    private boolean lastRequestRead;
    private long dropped;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (lastRequestRead) {
            // Pipelined behind a request that closes the connection: never processed (the request itself and any
            // body chunks of it).
            ReferenceCountUtil.release(msg);
            if (msg instanceof HttpRequest && dropped++ == 0) {
                logger.debug("{} request pipelined after 'Connection: close' dropped", ctx.channel());
            }
            return;
        }
        if (msg instanceof HttpRequest req && !HttpUtil.isKeepAlive(req) && !isUpgrade(req)) {
            closing = true;
            ctx.channel().config().setAutoRead(false);
        }
        if (closing && msg instanceof LastHttpContent) {
            lastRequestRead = true;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse res) {
            res.headers().set(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
            if (res.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
                // The server ends the connection after this answer (a refused upgrade, a malformed request): what
                // the client pipelined behind it is not processed either.
                lastRequestRead = true;
                ctx.channel().config().setAutoRead(false);
            }
        }
        ctx.write(msg, promise);
    }

    /** An upgrade switches protocols instead of ending the connection after its response. */
    private static boolean isUpgrade(HttpRequest req) {
        return req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }
}
