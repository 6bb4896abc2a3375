package io.switchboard.gateway.api;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.switchboard.gateway.http.HttpResponses;

/**
 * The API's own response shapes: its error body and the empty response. Everything else is {@link HttpResponses}.
 * Each response's buffer is owned by Netty once written.
 */
final class ApiResponses {

    private ApiResponses() {}

    /** {@code {"error":"...","status":4xx}}; a 401 also names the scheme (RFC 6750 §3). */
    static FullHttpResponse error(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        final FullHttpResponse res = HttpResponses.json(
                ctx, status, "{\"error\":\"" + HttpResponses.escape(message) + "\",\"status\":" + status.code() + '}');
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
}
