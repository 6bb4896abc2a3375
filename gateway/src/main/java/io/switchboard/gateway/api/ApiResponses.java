package io.switchboard.gateway.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/** Builds and sends the API's responses. Each response's buffer is owned by Netty once written. */
final class ApiResponses {

    private ApiResponses() {}

    static FullHttpResponse json(ChannelHandlerContext ctx, HttpResponseStatus status, String json) {
        return text(ctx, status, json, HttpHeaderValues.APPLICATION_JSON + "; charset=utf-8");
    }

    static FullHttpResponse text(ChannelHandlerContext ctx, String body, String contentType) {
        return text(ctx, HttpResponseStatus.OK, body, contentType);
    }

    private static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body,
                                         String contentType) {
        final ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), body);
        final FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        HttpUtil.setContentLength(res, content.readableBytes());
        return res;
    }

    /** {@code {"error":"...","status":4xx}}; a 401 also names the scheme (RFC 6750 §3). */
    static FullHttpResponse error(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        final FullHttpResponse res = json(ctx, status, "{\"error\":\"" + escape(message) + "\",\"status\":"
                                                       + status.code() + '}');
        if (status.code() == 401) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        return res;
    }

    static FullHttpResponse empty(HttpResponseStatus status) {
        final FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        HttpUtil.setContentLength(res, 0);
        return res;
    }

    static void send(ChannelHandlerContext ctx, FullHttpResponse res, boolean keepAlive) {
        if (keepAlive) {
            HttpUtil.setKeepAlive(res, true);
            ctx.writeAndFlush(res);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String escape(String s) {
        final StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
