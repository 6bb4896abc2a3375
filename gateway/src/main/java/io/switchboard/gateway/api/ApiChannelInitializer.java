package io.switchboard.gateway.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.MemoryHold;
import io.switchboard.gateway.chat.Presence;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.http.HttpConnectionHandler;
import io.switchboard.gateway.http.OpsEndpoints;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.gateway.tls.ServerTls;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.json.EnvelopeJson;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The pipeline of a connection to the server-side API listener:
 * <pre>
 * [tls → tls-failures →] api-http-codec → api-http-connection → api-http-aggregator (bounded by api-max-body: else
 *     413) → api-read-timeout → api
 * </pre>
 * ({@code tls} and {@code tls-failures} with {@code tls-cert} set and {@code api-tls} on.)
 * An idle keep-alive connection is closed after {@value #IDLE_SECONDS} s. The handlers are built once, here.
 */
public final class ApiChannelInitializer extends ChannelInitializer<Channel> {

    private static final int IDLE_SECONDS = 60;
    private static final int MAX_INITIAL_LINE_BYTES = 4096;
    private static final int MAX_HEADER_BYTES = 8192;

    private final int maxBodyBytes;
    private final ChannelGroup allChannels;
    private final ApiHandler api;
    private final ServerTls tls;
    private final ChannelHandler tlsFailures;

    /**
     * @param stats the body of {@code GET /api/v1/stats}
     * @param tls   TLS for every connection, or {@code null} for plain HTTP
     */
    public ApiChannelInitializer(GatewayConfig config, SessionRegistry registry, MatchService matches,
                                 MemoryHold offline, Router router, Presence presence, Envelopes envelopes,
                                 EnvelopeJson json,
                                 GatewayMetrics metrics, ChannelGroup allChannels, OpsEndpoints ops,
                                 Supplier<Map<String, Object>> stats, ServerTls tls) {
        this.tls = tls;
        this.tlsFailures = tls == null ? null : ServerTls.failureHandler(metrics);
        this.maxBodyBytes = config.api().maxBodyBytes();
        this.allChannels = allChannels;
        final PushService push = new PushService(registry, matches, offline, router, presence, envelopes, json,
                                                   metrics);
        this.api = new ApiHandler(push, mapper(maxBodyBytes), config.api().apiKey(), ops, stats,
                                  Set.copyOf(config.api().allowedOrigins()),
                                  Set.copyOf(config.webSocket().reservedUserIds()));
    }

    /**
     * As strict as the protocol's envelope reader: a key given twice and anything after the object are errors
     * (Jackson's defaults accept both, the last duplicate winning).
     */
    static ObjectMapper mapper(int maxBodyBytes) {
        return JsonMapper.builder(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(16)
                        .maxDocumentLength(maxBodyBytes)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build())
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    @Override
    protected void initChannel(Channel ch) {
        allChannels.add(ch);
        if (tls != null) {
            tls.addTo(ch, tlsFailures);
        }
        final ChannelPipeline p = ch.pipeline();
        p.addLast("api-http-codec", new HttpServerCodec(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, 8192));
        p.addLast("api-http-connection", new HttpConnectionHandler());
        p.addLast("api-http-aggregator", new HttpObjectAggregator(maxBodyBytes));
        p.addLast("api-read-timeout", new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS));
        p.addLast("api", api);
    }
}
