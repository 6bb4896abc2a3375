package io.switchboard.gateway.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.gateway.http.HttpResponses;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the web pages from memory ({@link WebResources}: {@code /}, {@code /agent}, {@code /dashboard},
 * {@code /assets/*}) and the dashboard's JSON, {@code GET /dashboard/stats} ({@code docs/DASHBOARD.md}). GET and HEAD
 * only; every response carries a strong {@code ETag} and {@code Cache-Control: no-cache}, so browsers revalidate
 * (304) and never run a stale page against a newer gateway. Any other path, upgrades and malformed requests pass on
 * to {@code http-endpoints} untouched.
 *
 * <p>Sits after {@code http-aggregator}, before {@code http-endpoints}; runs on the channel's event loop. Releases
 * every request it answers; the response body wraps the shared, never-written bytes of the resource and is owned by
 * Netty once written. Stateless and {@code @Sharable}.
 */
@Sharable
final class StaticPagesHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(StaticPagesHandler.class);

    static final String STATS_PATH = "/dashboard/stats";
    /** The pages connect only to their own origin: no CDN, no third party, and no inline script or style. */
    private static final String CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                                      + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors ";

    private final WebResources resources;
    private final Supplier<String> statsJson;
    private final Predicate<HttpRequest> authorized;
    private final String csp;

    /**
     * @param statsJson  the body of {@code /dashboard/stats}, called on the event loop, so it must not block
     * @param authorized whether a request may read the stats; the hook for the API key, always true while the
     *                   gateway has none
     */
    StaticPagesHandler(WebResources resources, Supplier<String> statsJson, Predicate<HttpRequest> authorized) {
        this(resources, statsJson, authorized, "'self'");
    }

    /**
     * @param frameAncestors the CSP {@code frame-ancestors} sources: who may embed the pages (the widget is meant to
     *                       be framed by the customer's own sites)
     */
    StaticPagesHandler(WebResources resources, Supplier<String> statsJson, Predicate<HttpRequest> authorized,
                       String frameAncestors) {
        this.csp = CSP + frameAncestors;
        this.resources = resources;
        this.statsJson = statsJson;
        this.authorized = authorized;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        final FullHttpRequest req = (FullHttpRequest) msg;
        final String path = path(req.uri());
        final WebResources.Resource resource = resources.get(path);
        if (!req.decoderResult().isSuccess() || HttpEndpointsHandler.isUpgrade(req)
            || resource == null && !STATS_PATH.equals(path)) {
            ctx.fireChannelRead(req);
            return;
        }
        try {
            if (!HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
                logger.debug("{} 405 only GET and HEAD are allowed here", ctx.channel());
                final FullHttpResponse res = HttpResponses.error(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED,
                                                                 "only GET and HEAD are allowed here");
                res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                HttpResponses.send(ctx, res, HttpUtil.isKeepAlive(req));
            } else if (resource != null) {
                servePage(ctx, req, resource);
            } else {
                serveStats(ctx, req);
            }
        } finally {
            ReferenceCountUtil.release(req);
        }
    }

    private void servePage(ChannelHandlerContext ctx, FullHttpRequest req, WebResources.Resource resource) {
        final boolean fresh = matches(req.headers().get(HttpHeaderNames.IF_NONE_MATCH), resource.etag());
        final FullHttpResponse res = response(req, fresh ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
                                              resource.contentType(), fresh ? null : resource.body());
        final HttpHeaders h = res.headers();
        h.set(HttpHeaderNames.ETAG, resource.etag());
        h.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        if (resource.contentType().startsWith("text/html")) {
            h.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, csp);
        }
        HttpResponses.send(ctx, res, HttpUtil.isKeepAlive(req));
    }

    private void serveStats(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!authorized.test(req)) {
            logger.debug("{} 401 the dashboard needs the API key", ctx.channel());
            final FullHttpResponse res = HttpResponses.error(ctx, HttpResponseStatus.UNAUTHORIZED,
                                                             "the dashboard needs the API key");
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"switchboard\"");
            HttpResponses.send(ctx, res, HttpUtil.isKeepAlive(req));
            return;
        }
        final byte[] body = statsJson.get().getBytes(StandardCharsets.UTF_8);
        final FullHttpResponse res = response(req, HttpResponseStatus.OK,
                                              HttpHeaderValues.APPLICATION_JSON + "; charset=utf-8", body);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        res.headers().set("X-Content-Type-Options", "nosniff");
        HttpResponses.send(ctx, res, HttpUtil.isKeepAlive(req));
    }

    /** A response whose Content-Length is that of {@code body}; HEAD and 304 get the headers only. */
    private static FullHttpResponse response(FullHttpRequest req, HttpResponseStatus status, String type,
                                             byte[] body) {
        final boolean head = HttpMethod.HEAD.equals(req.method());
        final ByteBuf content = body == null || head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
        final FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        if (body != null) {
            HttpUtil.setContentLength(res, body.length);
        }
        return res;
    }

    /** RFC 9110 §13.1.2: a weak comparison against any of the listed tags, or {@code *}. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            final String t = tag.trim();
            if (t.equals("*") || t.equals(etag) || t.startsWith("W/") && t.substring(2).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static String path(String uri) {
        final int q = uri.indexOf('?');
        final int hash = uri.indexOf('#');
        final int end = q < 0 ? hash < 0 ? uri.length() : hash : q;
        return uri.substring(0, end);
    }
}
