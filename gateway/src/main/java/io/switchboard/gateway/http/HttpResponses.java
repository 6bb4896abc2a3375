package io.switchboard.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Small helpers that answer a plain HTTP request, shared by the WebSocket port's endpoints and the server-side API.
 * Public for the {@code api} package; internal to the gateway.
 */
public final class HttpResponses {

    /** The Prometheus text exposition format served at {@code /metrics}. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private HttpResponses() {}

    /** A response with a UTF-8 JSON body, not cached. Its buffer is owned by Netty once written. */
    public static FullHttpResponse json(ChannelHandlerContext ctx, HttpResponseStatus status, String json) {
        return text(ctx, status, json, HttpHeaderValues.APPLICATION_JSON + "; charset=utf-8");
    }

    /** A response with a UTF-8 body of {@code contentType}, not cached. Its buffer is owned by Netty once written. */
    public static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body,
                                        String contentType) {
        final ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), body);
        final FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        HttpUtil.setContentLength(res, content.readableBytes());
        return res;
    }

    /** An error body: {@code {"status":404,"error":"..."}}. */
    public static FullHttpResponse error(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        return json(ctx, status, "{\"status\":" + status.code() + ",\"error\":\"" + escape(message) + "\"}");
    }

    /** Sends {@code res}; closes the connection after it unless {@code keepAlive}. */
    public static void send(ChannelHandlerContext ctx, FullHttpResponse res, boolean keepAlive) {
        if (keepAlive) {
            HttpUtil.setKeepAlive(res, true);
            ctx.writeAndFlush(res);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Escapes text for a JSON string literal. */
    public static String escape(String s) {
        final StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.toString();
    }
}
