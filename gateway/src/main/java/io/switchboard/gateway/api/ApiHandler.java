package io.switchboard.gateway.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.ReadTimeoutException;
import io.switchboard.gateway.chat.Stages;
import io.switchboard.gateway.http.HttpResponses;
import io.switchboard.gateway.http.OpsEndpoints;
import io.switchboard.gateway.http.UriParts;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.tls.ServerTls;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.validate.UserIds;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API listener's only handler: refuses browser requests from origins not on the allow-list (403), checks the API
 * key, then dispatches by route to one small method each. Bodies are JSON in ({@code Content-Type: application/json},
 * else 415) and out; every error is {@code {"error":"...","status":4xx}} ({@code docs/API.md}), logged at DEBUG as
 * one line without the URI or any header.
 *
 * <p>Last in the API pipeline, after {@code http-aggregator}. Runs on the channel's event loop and does no I/O of its
 * own. The request is released by {@link SimpleChannelInboundHandler}; each response is owned by Netty once written.
 * Stateless; {@code @Sharable}.
 */
@Sharable
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger logger = LoggerFactory.getLogger(ApiHandler.class);
    private static final String USERS = "/api/v1/users/";
    private static final String CONNECTION = "/connection";
    private static final int MAX_RECIPIENTS = 100_000;
    private static final int MAX_TYPE_CHARS = 32;

    private final PushService push;
    private final ObjectMapper mapper;
    private final ApiKey apiKey;
    private final OpsEndpoints ops;
    private final Supplier<Map<String, Object>> stats;
    private final Set<String> allowedOrigins;
    private final Set<String> reservedUserIds;

    /**
     * @param apiKey          the key backends must send as {@code Authorization: Bearer}; empty: none required
     * @param allowedOrigins  browser origins whose requests are served; a request with another {@code Origin}: 403
     * @param reservedUserIds userIds refused besides {@code system} and {@code *}
     */
    ApiHandler(PushService push, ObjectMapper mapper, String apiKey, OpsEndpoints ops,
               Supplier<Map<String, Object>> stats, Set<String> allowedOrigins, Set<String> reservedUserIds) {
        this.push = push;
        this.mapper = mapper;
        this.apiKey = new ApiKey(apiKey);
        this.ops = ops;
        this.stats = stats;
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.reservedUserIds = Set.copyOf(reservedUserIds);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        final boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            logger.debug("{} API 400 malformed HTTP request: {}", ctx.channel(),
                         req.decoderResult().cause().getClass().getSimpleName());
            HttpResponses.send(ctx, ApiResponses.error(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request"),
                              false);
            return;
        }
        Object res;
        try {
            checkOrigin(req);
            // Routes match the raw path; a userId in it is decoded once, strictly (UriParts).
            res = route(ctx, req, UriParts.rawPath(req.uri()));
        } catch (ApiException e) {
            res = refusal(ctx, e);
        }
        if (res instanceof FullHttpResponse now) {
            HttpResponses.send(ctx, now, keepAlive);
            return;
        }
        // Answered later (a cluster push waits for Redis or other nodes): read nothing more until this response is
        // written, so pipelined requests are answered in order.
        @SuppressWarnings("unchecked")
        final CompletionStage<Object> later = (CompletionStage<Object>) res;
        ctx.channel().config().setAutoRead(false);
        later.whenCompleteAsync((body, error) -> {
            final FullHttpResponse response;
            if (error == null) {
                response = HttpResponses.json(ctx, HttpResponseStatus.OK, write(body));
            } else {
                final Throwable cause = error instanceof CompletionException && error.getCause() != null
                                        ? error.getCause() : error;
                if (cause instanceof ApiException e) {
                    response = refusal(ctx, e);
                } else {
                    logger.debug("{} API request failed: {}", ctx.channel(), cause.toString());
                    response = ApiResponses.error(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
                                                  "temporarily unavailable");
                }
            }
            HttpResponses.send(ctx, response, keepAlive);
            ctx.channel().config().setAutoRead(true);
        }, ctx.executor());
    }

    /**
     * The response to {@code req}: a {@link FullHttpResponse} when it is known at once, else a
     * {@link CompletionStage} of the object to send as JSON.
     */
    private Object route(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
        if (ops.serves(path)) {
            requireMethod(req, HttpMethod.GET);
            return ops.respond(ctx, path);
        }
        if (!path.startsWith("/api/")) {
            throw new ApiException(HttpResponseStatus.NOT_FOUND, "no such endpoint");
        }
        authorize(req);
        if (path.equals("/api/v1/push")) {
            requireMethod(req, HttpMethod.POST);
            return json(ctx, push(ctx, req));
        }
        if (path.equals("/api/v1/stats")) {
            requireMethod(req, HttpMethod.GET);
            return HttpResponses.json(ctx, HttpResponseStatus.OK, write(stats.get()));
        }
        if (path.equals("/api/v1/queue")) {
            requireMethod(req, HttpMethod.GET);
            return json(ctx, push.queue(System.currentTimeMillis()));
        }
        if (path.startsWith(USERS)) {
            final String rest = path.substring(USERS.length());
            if (rest.endsWith(CONNECTION)) {
                requireMethod(req, HttpMethod.DELETE);
                return disconnect(ctx, userId(rest.substring(0, rest.length() - CONNECTION.length())));
            }
            requireMethod(req, HttpMethod.GET);
            return json(ctx, push.user(userId(rest)));
        }
        throw new ApiException(HttpResponseStatus.NOT_FOUND, "no such endpoint");
    }

    /** A 200 with {@code body} as JSON now if its stage is complete (always on one gateway), else the stage. */
    private Object json(ChannelHandlerContext ctx, CompletionStage<?> body) {
        final Object now = Stages.valueIfDone(body);
        return now != null ? HttpResponses.json(ctx, HttpResponseStatus.OK, write(now)) : body;
    }

    /** The error answer to a refused request, logged at DEBUG as one line: the status and what was wrong. */
    private static FullHttpResponse refusal(ChannelHandlerContext ctx, ApiException e) {
        logger.debug("{} API {} {}", ctx.channel(), e.status.code(), e.getMessage());
        return ApiResponses.error(ctx, e.status, e.getMessage());
    }

    /**
     * A browser sends {@code Origin} on every cross-site request, simple ones included; backends send none. A page on
     * another site must not reach the API through the browser of someone who can (docs/SECURITY.md).
     */
    private void checkOrigin(FullHttpRequest req) {
        final String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !allowedOrigins.contains(origin)) {
            throw new ApiException(HttpResponseStatus.FORBIDDEN, "origin not allowed (api-allowed-origins)");
        }
    }

    private CompletionStage<PushService.PushResult> push(ChannelHandlerContext ctx, FullHttpRequest req) {
        final JsonNode body = readBody(req);
        final String type = optionalString(body, "type", "normal");
        final String from = optionalString(body, "from", Envelopes.SYSTEM);
        final String msgId = optionalString(body, "msgId", null);
        final String msg = optionalString(body, "msg", null);
        if (msg == null) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "msg is required (a string)");
        }
        if (type.isEmpty() || type.length() > MAX_TYPE_CHARS) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "type must be 1.." + MAX_TYPE_CHARS + " chars");
        }
        if (msgId != null && (msgId.isEmpty() || msgId.codePointCount(0, msgId.length()) > 64)) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "msgId must be 1..64 chars");
        }
        final JsonNode to = body.get("to");
        final JsonNode role = body.get("role");
        if ((to == null) == (role == null)) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "give exactly one of 'to' and 'role'");
        }
        final CompletionStage<PushService.PushResult> result;
        if (role != null) {
            final Role r = role.isTextual() ? Role.fromWire(role.asText()) : null;
            if (r == null) {
                throw new ApiException(HttpResponseStatus.BAD_REQUEST, "role must be 'user' or 'agent'");
            }
            result = push.pushToRole(r, type, from, msgId, msg, ctx.alloc());
        } else if (to.isTextual()) {
            result = push.pushToUser(checkedUserId(to.asText()), type, from, msgId, msg);
        } else if (to.isArray() && !to.isEmpty() && to.size() <= MAX_RECIPIENTS) {
            // A recipient listed twice gets the message once (docs/API.md): the answer counts each userId once.
            final Set<String> userIds = new LinkedHashSet<>(to.size() * 2);
            for (JsonNode u : to) {
                if (!u.isTextual()) {
                    throw new ApiException(HttpResponseStatus.BAD_REQUEST, "to must hold userId strings");
                }
                userIds.add(checkedUserId(u.asText()));
            }
            result = push.pushToMany(new ArrayList<>(userIds), type, from, msgId, msg, ctx.alloc());
        } else {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST,
                                   "to must be a userId or a list of 1.." + MAX_RECIPIENTS + " userIds");
        }
        return result;
    }

    private FullHttpResponse disconnect(ChannelHandlerContext ctx, String userId) {
        if (!push.disconnect(userId)) {
            throw new ApiException(HttpResponseStatus.NOT_FOUND, "user not connected");
        }
        return ApiResponses.empty(HttpResponseStatus.NO_CONTENT);
    }

    private void authorize(FullHttpRequest req) {
        if (!apiKey.test(req)) {
            throw new ApiException(HttpResponseStatus.UNAUTHORIZED, "missing or wrong API key");
        }
    }

    /**
     * The body as a JSON object, read as strictly as the WebSocket codec reads an envelope: one object, no trailing
     * bytes, no key given twice ({@code ApiChannelInitializer#mapper}).
     */
    private JsonNode readBody(FullHttpRequest req) {
        if (!isJson(req.headers().get(HttpHeaderNames.CONTENT_TYPE))) {
            // Also what keeps a cross-site form or text/plain "simple request" out, which needs no CORS preflight.
            throw new ApiException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
        }
        try (ByteBufInputStream in = new ByteBufInputStream(req.content())) {
            final JsonNode node = mapper.readTree(in);
            if (node == null || !node.isObject()) {
                throw new ApiException(HttpResponseStatus.BAD_REQUEST, "the body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, jsonProblem(e));
        } catch (IOException e) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "unreadable body");
        }
    }

    /** {@code application/json}, with or without parameters ({@code ; charset=utf-8}). */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        final int semi = contentType.indexOf(';');
        final String type = (semi < 0 ? contentType : contentType.substring(0, semi)).strip();
        return HttpHeaderValues.APPLICATION_JSON.contentEqualsIgnoreCase(type);
    }

    /** What is wrong with the JSON, without quoting it: Jackson's messages echo the input. */
    private static String jsonProblem(JsonProcessingException e) {
        final String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().toLowerCase(Locale.ROOT);
        if (m.contains("duplicate field")) {
            return "malformed JSON: a key is given twice";
        }
        // Another value after the object, or a failure at the top level after a complete value (not JSON at all).
        if (m.contains("trailing token")
            || e.getProcessor() instanceof JsonParser p && p.getParsingContext() != null
            && p.getParsingContext().inRoot() && p.getParsingContext().getEntryCount() > 0) {
            return "malformed JSON: bytes after the object";
        }
        return "malformed JSON";
    }

    private static String optionalString(JsonNode body, String field, String dflt) {
        final JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, field + " must be a string");
        }
        return v.asText();
    }

    private String userId(String rawSegment) {
        if (rawSegment.isEmpty() || rawSegment.indexOf('/') >= 0) {
            throw new ApiException(HttpResponseStatus.NOT_FOUND, "no such endpoint");
        }
        final String decoded = UriParts.decodeSegment(rawSegment);
        if (decoded == null) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "userId is not valid percent-encoded UTF-8");
        }
        return checkedUserId(decoded);
    }

    private String checkedUserId(String userId) {
        final String problem = UserIds.problem(userId);
        if (problem != null) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, problem);
        }
        if (reservedUserIds.contains(userId)) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "userId is reserved");
        }
        return userId;
    }

    private static void requireMethod(FullHttpRequest req, HttpMethod method) {
        if (!method.equals(req.method())) {
            throw new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED, "use " + method.name() + " here");
        }
    }

    private String write(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
        }
    }


    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof ReadTimeoutException
            || cause instanceof DecoderException || cause instanceof PrematureChannelClosureException
            || ServerTls.isTlsFailure(cause)) {
            // The client's doing (a reset, a body cut short, bytes that are not HTTP): one line, no stack trace.
            logger.debug("{} API connection closed: {}", ctx.channel(), cause.getClass().getSimpleName());
        } else {
            logger.warn("{} unexpected API error, closing the connection", ctx.channel(), cause);
        }
        ctx.close();
    }

    /** A request the API refuses, with its status; the message goes into the error body. */
    static final class ApiException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final HttpResponseStatus status;

        ApiException(HttpResponseStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
