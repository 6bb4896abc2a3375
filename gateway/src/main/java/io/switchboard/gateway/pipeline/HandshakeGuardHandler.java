package io.switchboard.gateway.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.gateway.auth.AuthResult;
import io.switchboard.gateway.auth.HandshakePolicy;
import io.switchboard.gateway.http.HttpResponses;
import io.switchboard.gateway.http.UriParts;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.validate.EnvelopeValidator;
import io.switchboard.protocol.validate.UserIds;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides everything about a WebSocket upgrade request before Netty's handshaker sees it ({@code PROTOCOL.md} §1):
 * the method (405), the path and {@code {userId}} (404, 400), HTTP/1.1 with a {@code Host} (400), the RFC 6455
 * headers (400), {@code Sec-WebSocket-Version: 13} (else 426), the browser origin (403), the token (401, or 403 for
 * another user's token) and the role: from the verified token when authentication is on, else from {@code ?role=}.
 * Rejections are counted by status and logged without the token. An accepted request gets a
 * {@link ConnectionIdentity} attribute and goes on to {@code ws-protocol}.
 *
 * <p>It also bounds the whole handshake: a connection that has not upgraded within {@code handshakeTimeout} of being
 * accepted is closed, whatever it sends (slow headers included).
 *
 * <p>Sits between {@code http-endpoints} and {@code ws-protocol}; removed once the upgrade completes. Runs on the
 * channel's event loop. Releases a rejected request; an accepted one's ownership passes on. One per channel.
 */
final class HandshakeGuardHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(HandshakeGuardHandler.class);
    private static final String BEARER = "Bearer ";

    private final String wsPath;
    private final long handshakeTimeoutNanos;
    private final GatewayMetrics metrics;
    private final HandshakePolicy policy;
    private ScheduledFuture<?> deadline;

    HandshakeGuardHandler(String wsPath, long handshakeTimeoutNanos, GatewayMetrics metrics) {
        this(wsPath, handshakeTimeoutNanos, metrics, HandshakePolicy.OPEN);
    }

    HandshakeGuardHandler(String wsPath, long handshakeTimeoutNanos, GatewayMetrics metrics, HandshakePolicy policy) {
        this.wsPath = wsPath;
        this.handshakeTimeoutNanos = handshakeTimeoutNanos;
        this.metrics = metrics;
        this.policy = policy;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> {
            logger.debug("{} no WebSocket upgrade within {} ms, closing", ctx.channel(),
                         TimeUnit.NANOSECONDS.toMillis(handshakeTimeoutNanos));
            ctx.close();
        }, handshakeTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        final FullHttpRequest req = (FullHttpRequest) msg;
        final String problem = check(ctx, req);
        if (problem == null) {
            ctx.fireChannelRead(req);
        } else {
            ReferenceCountUtil.release(req);
        }
    }

    /** Accepts the request (stores its identity, returns null) or answers it (returns what was wrong). */
    private String check(ChannelHandlerContext ctx, FullHttpRequest req) {
        // hasAttr first: attr() would add an (empty) attribute to every connection, kept as long as it is open.
        if (ctx.channel().hasAttr(SessionAttributes.OVER_CAPACITY)
            && Boolean.TRUE.equals(ctx.channel().attr(SessionAttributes.OVER_CAPACITY).get())) {
            metrics.connectionRefused();
            return reject(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "at max-connections, try again later");
        }
        if (!HttpMethod.GET.equals(req.method())) {
            final FullHttpResponse res = HttpResponses.error(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED,
                                                             "a WebSocket upgrade must be a GET");
            res.headers().set(HttpHeaderNames.ALLOW, "GET");
            return reject(ctx, res, "method");
        }
        final String uri = req.uri();
        final int q = uri.indexOf('?');
        final String rawPath = q < 0 ? uri : uri.substring(0, q);
        if (!rawPath.startsWith(wsPath + '/')) {
            return reject(ctx, HttpResponseStatus.NOT_FOUND, "no WebSocket endpoint at this path");
        }
        final String rawUserId = rawPath.substring(wsPath.length() + 1);
        if (rawUserId.indexOf('/') >= 0) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, "userId contains '/'");
        }
        final String userId = UriParts.decodeSegment(rawUserId);
        if (userId == null) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, "userId is not valid percent-encoded UTF-8");
        }
        final String userIdProblem = UserIds.problem(userId);
        if (userIdProblem != null) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, userIdProblem);
        }
        if (policy.reserved(userId)) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, "userId is reserved");
        }
        final HttpHeaders headers = req.headers();
        if (!HttpVersion.HTTP_1_1.equals(req.protocolVersion()) || !headers.contains(HttpHeaderNames.HOST)) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, "a WebSocket upgrade needs HTTP/1.1 and a Host header");
        }
        if (!"13".equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
            // RFC 6455 §4.4: name the version we speak.
            final FullHttpResponse res = HttpResponses.error(ctx, HttpResponseStatus.UPGRADE_REQUIRED,
                                                             "only WebSocket version 13 (RFC 6455) is supported");
            res.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
            res.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            return reject(ctx, res, "version");
        }
        if (!headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, "missing 'Connection: Upgrade'");
        }
        if (!isValidKey(headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY))) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, "missing or invalid Sec-WebSocket-Key");
        }
        if (!policy.originAllowed(headers.get(HttpHeaderNames.ORIGIN))) {
            return reject(ctx, HttpResponseStatus.FORBIDDEN, "origin not allowed");
        }
        final Map<String, List<String>> params = UriParts.queryParameters(uri);
        if (params == null) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, "the query string is not valid percent-encoding");
        }
        final Role role;
        if (policy.verifier() != null) {
            // PROTOCOL.md §1: with authentication on, userId and role come from the token, never from ?role=.
            final AuthResult result = policy.verifier().verifyFor(token(headers, params), userId);
            if (result instanceof AuthResult.Rejected rejected) {
                return rejectToken(ctx, rejected.failure());
            }
            role = ((AuthResult.Verified) result).role();
        } else {
            role = role(params.get("role"));
            if (role == null) {
                return reject(ctx, HttpResponseStatus.BAD_REQUEST, "role must be 'user' or 'agent'");
            }
        }
        final Boolean ack = flag(params.get("ack"));
        if (ack == null) {
            return reject(ctx, HttpResponseStatus.BAD_REQUEST, "ack must be '1' or '0'");
        }
        long since = ConnectionIdentity.NO_SINCE;
        if (ack && params.containsKey("since")) {
            since = sequenceNumber(params.get("since"));
            if (since < 0) {
                return reject(ctx, HttpResponseStatus.BAD_REQUEST, "since must be a sequence number (0 or more)");
            }
        }
        ctx.channel().attr(SessionAttributes.IDENTITY).set(new ConnectionIdentity(userId, role, ack, since));
        return null;
    }

    /** {@code ?ack=}: absent or "0" is off, "1" is on, anything else {@code null}. */
    private static Boolean flag(List<String> values) {
        if (values == null || values.isEmpty()) {
            return Boolean.FALSE;
        }
        if (values.size() != 1) {
            return null;
        }
        return switch (values.get(0)) {
            case "1" -> Boolean.TRUE;
            case "0" -> Boolean.FALSE;
            default -> null;
        };
    }

    /** {@code ?since=}: given once, as a seq; else -1. */
    private static long sequenceNumber(List<String> values) {
        return values.size() != 1 ? -1 : EnvelopeValidator.seq(values.get(0));
    }

    /** The token of {@code Authorization: Bearer} or else of {@code ?token=}; {@code null} if neither. */
    private static String token(HttpHeaders headers, Map<String, List<String>> params) {
        final String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).trim();
        }
        final List<String> tokens = params.get("token");
        return tokens == null || tokens.size() != 1 ? null : tokens.get(0);
    }

    private String rejectToken(ChannelHandlerContext ctx, AuthResult.Failure failure) {
        final FullHttpResponse res = HttpResponses.error(ctx, HttpResponseStatus.valueOf(failure.status()),
                                                         failure.message());
        if (failure.status() == 401) {
            // RFC 6750 §3: tell the client which scheme to use and that its token was not good.
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, failure == AuthResult.Failure.MISSING
                    ? "Bearer" : "Bearer error=\"invalid_token\"");
        }
        return reject(ctx, res, failure.message());
    }

    private static Role role(List<String> values) {
        if (values == null || values.isEmpty()) {
            return Role.USER;
        }
        return values.size() == 1 ? Role.fromWire(values.get(0)) : null;
    }

    /** RFC 6455 §4.1: the key is the base64 of 16 bytes. */
    private static boolean isValidKey(String key) {
        if (key == null || key.length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private String reject(ChannelHandlerContext ctx, HttpResponseStatus status, String why) {
        return reject(ctx, HttpResponses.error(ctx, status, why), why);
    }

    private String reject(ChannelHandlerContext ctx, FullHttpResponse res, String why) {
        metrics.handshakeRejected(res.status().code());
        logger.debug("{} handshake rejected: {} {}", ctx.channel(), res.status().code(), why);
        HttpResponses.send(ctx, res, false);
        return why;
    }
}
