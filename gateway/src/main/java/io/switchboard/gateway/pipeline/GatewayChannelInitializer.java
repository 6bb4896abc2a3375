package io.switchboard.gateway.pipeline;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.switchboard.gateway.auth.HandshakePolicy;
import io.switchboard.gateway.chat.ChatRules;
import io.switchboard.gateway.chat.LocalDelivery;
import io.switchboard.gateway.chat.SessionLifecycle;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.http.HttpConnectionHandler;
import io.switchboard.gateway.http.OpsEndpoints;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.tls.ServerTls;
import io.switchboard.protocol.json.EnvelopeJson;
import io.switchboard.protocol.netty.EnvelopeFrameCodec;
import java.time.Clock;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Builds the pipeline of every accepted connection, in the order {@link HandlerNames} shows. The stateless
 * ({@code @Sharable}) handlers are built once here; those with per-connection state are created per channel.
 */
public final class GatewayChannelInitializer extends ChannelInitializer<Channel> {

    /** Request line plus headers of an upgrade request; larger ones get 414/431. */
    private static final int MAX_INITIAL_LINE_BYTES = 4096;
    private static final int MAX_HEADER_BYTES = 8192;
    /**
     * How long a close waits for its close frame to be written before the socket is closed anyway: a slow consumer
     * that does not read would otherwise keep a closing connection open forever.
     */
    private static final long FORCE_CLOSE_MILLIS = 3000;
    /** Upgrade and health requests have no body; anything bigger is refused (413). */
    private static final int MAX_HTTP_CONTENT_BYTES = 8192;

    private final GatewayConfig config;
    private final SessionLifecycle lifecycle;
    private final ChatRules rules;
    private final LocalDelivery delivery;
    private final EnvelopeJson json;
    private final GatewayMetrics metrics;
    private final ChannelGroup allChannels;
    private final Clock clock;
    private final WebSocketServerProtocolConfig wsConfig;
    private final StaticPagesHandler staticPages;
    private final HttpEndpointsHandler httpEndpoints;
    private final CloseStatusHandler closeStatus = new CloseStatusHandler();
    private final HandshakePolicy handshakePolicy;
    private final ExceptionHandler exceptions;
    private final ServerTls tls;
    private final ChannelHandler tlsFailures;

    /**
     * @param handshakePolicy the token verifier and Origin allow-list of the handshake guard
     * @param ops             {@code /healthz}, {@code /readyz} and {@code /metrics} on this port
     * @param tls             TLS for every connection ({@code wss://}), or {@code null} for plain {@code ws://}
     */
    public GatewayChannelInitializer(GatewayConfig config, SessionLifecycle lifecycle, ChatRules rules,
                                     LocalDelivery delivery, EnvelopeJson json,
                                     GatewayMetrics metrics, ChannelGroup allChannels, Clock clock,
                                     OpsEndpoints ops, Supplier<String> dashboardStats,
                                     Predicate<HttpRequest> dashboardAuthorized, HandshakePolicy handshakePolicy,
                                     ServerTls tls) {
        this.tls = tls;
        this.tlsFailures = tls == null ? null : ServerTls.failureHandler(metrics);
        this.handshakePolicy = handshakePolicy;
        this.config = config;
        this.lifecycle = lifecycle;
        this.rules = rules;
        this.delivery = delivery;
        this.json = json;
        this.metrics = metrics;
        this.allChannels = allChannels;
        this.clock = clock;
        final GatewayConfig.WebSocket ws = config.webSocket();
        this.wsConfig = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(ws.path())
                .checkStartsWith(true)
                .handshakeTimeoutMillis(ws.handshakeTimeout().toMillis())
                .forceCloseTimeoutMillis(FORCE_CLOSE_MILLIS)
                .dropPongFrames(true)
                .handleCloseFrames(true)
                .sendCloseFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(ws.maxFrameBytes())   // larger frames: close 1009
                        .expectMaskedFrames(true)                    // RFC 6455 §5.1: else 1002
                        .allowMaskMismatch(false)
                        .allowExtensions(false)                      // reserved bits set: 1002
                        .closeOnProtocolViolation(true)
                        .withUTF8Validator(true)                     // invalid UTF-8: 1007
                        .build())
                .build();
        this.staticPages = new StaticPagesHandler(WebResources.load(GatewayChannelInitializer.class.getClassLoader(),
                                                                    ws.path()),
                                                  dashboardStats, dashboardAuthorized,
                                                  config.server().frameAncestors());
        this.httpEndpoints = new HttpEndpointsHandler(ws.path(), ops, metrics);
        this.exceptions = new ExceptionHandler(metrics);
    }

    /** Whether {@code channel} completed its WebSocket upgrade (and so takes WebSocket frames). */
    public static boolean isWebSocket(Channel channel) {
        return channel.attr(SessionAttributes.SESSION).get() != null;
    }

    @Override
    protected void initChannel(Channel ch) {
        allChannels.add(ch);
        if (tls != null) {
            // First in the pipeline, ahead of flush-consolidation: the flushes of a read batch become one TLS write.
            tls.addTo(ch, tlsFailures);
        }
        final ChannelPipeline p = ch.pipeline();
        addHttpHandlers(p);
        addWebSocketHandlers(p);
        addChatHandlers(p);
    }

    private void addHttpHandlers(ChannelPipeline p) {
        // Consolidate the flushes of one read batch, and cross-thread flushes too (deliveries from other loops).
        p.addLast(HandlerNames.FLUSH_CONSOLIDATION, new FlushConsolidationHandler(256, true));
        p.addLast(HandlerNames.HTTP_CODEC, new HttpServerCodec(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, 8192));
        p.addLast(HandlerNames.HTTP_CONNECTION, new HttpConnectionHandler());
        p.addLast(HandlerNames.HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_HTTP_CONTENT_BYTES));
        p.addLast(HandlerNames.STATIC_PAGES, staticPages);
        p.addLast(HandlerNames.HTTP_ENDPOINTS, httpEndpoints);
        p.addLast(HandlerNames.HANDSHAKE_GUARD, new HandshakeGuardHandler(
                config.webSocket().path(), config.webSocket().handshakeTimeout().toNanos(), metrics, handshakePolicy));
    }

    private void addWebSocketHandlers(ChannelPipeline p) {
        p.addLast(HandlerNames.CLOSE_STATUS, closeStatus);
        p.addLast(HandlerNames.WS_PROTOCOL, new WebSocketServerProtocolHandler(wsConfig));
        p.addLast(HandlerNames.WS_AGGREGATOR, new WebSocketFrameAggregator(config.webSocket().maxFrameBytes()));
        p.addLast(HandlerNames.FRAME_CODEC, new EnvelopeFrameCodec(json));
    }

    private void addChatHandlers(ChannelPipeline p) {
        final GatewayConfig.WebSocket ws = config.webSocket();
        p.addLast(HandlerNames.DISPATCH, new EnvelopeDispatchHandler(
                lifecycle, delivery, clock, rules, metrics, config.rateLimit(), ws.maxBadMessages()));
        p.addLast(HandlerNames.EXCEPTIONS, exceptions);
    }
}
