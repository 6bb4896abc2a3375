package io.switchboard.gateway.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.switchboard.gateway.chat.ChatEvents;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Envelope;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLException;

/**
 * Turns chat events into webhooks ({@code docs/WEBHOOKS.md}) and hands each to every configured URL's
 * {@link WebhookEndpoint}. The {@link ChatEvents} methods build a small map and offer it to bounded queues; the
 * serialization, signing and HTTP happen on the endpoints' event loops, never on the caller's message path.
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class WebhookDispatcher implements ChatEvents, AutoCloseable {

    /** The event name. */
    public static final String EVENT_HEADER = "X-Switchboard-Event";
    /** The delivery id: the same on every retry of one event; the backend's idempotency key. */
    public static final String DELIVERY_HEADER = "X-Switchboard-Delivery";
    /** {@code sha256=<hex HMAC-SHA256 of the body with the webhook secret>}. */
    public static final String SIGNATURE_HEADER = "X-Switchboard-Signature";
    /** First retry waits up to this long; each later one up to twice the previous ceiling. */
    static final long BACKOFF_BASE_MILLIS = 250;
    /** No retry waits longer than this. */
    static final long BACKOFF_CAP_MILLIS = 30_000;

    private final List<WebhookEndpoint> endpoints = new ArrayList<>();
    private final boolean archive;
    private final Clock clock;

    /**
     * @param loops        the gateway's I/O event loops; each URL's sender and connections run on one of them
     * @param channelClass the client socket channel class of the gateway's transport
     */
    public WebhookDispatcher(GatewayConfig.Webhooks config, EventLoopGroup loops,
                             Class<? extends Channel> channelClass, GatewayMetrics metrics, Clock clock) {
        this.archive = config.archiveMessages();
        this.clock = clock;
        final ObjectMapper mapper = JsonMapper.builder().build();
        final SslContext ssl = config.urls().stream().anyMatch(u -> "https".equalsIgnoreCase(u.getScheme()))
                               ? clientSsl() : null;
        final Backoff backoff = new Backoff(BACKOFF_BASE_MILLIS, BACKOFF_CAP_MILLIS);
        for (URI url : config.urls()) {
            endpoints.add(new WebhookEndpoint(url, loops.next(), channelClass,
                                              "https".equalsIgnoreCase(url.getScheme()) ? ssl : null, mapper,
                                              hmac(config.secret()), metrics, config.queueSize(),
                                              config.retryWindow(), config.requestTimeout(), backoff));
        }
    }

    private static SslContext clientSsl() {
        try {
            return SslContextBuilder.forClient().build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for https webhooks: " + e, e);
        }
    }

    /** One {@link Mac} per endpoint: a Mac is not thread-safe, and each endpoint uses its own on its own loop. */
    private static Mac hmac(String secret) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is mandatory in every JRE", e);
        }
    }

    private void emit(String event, Map<String, Object> data) {
        final WebhookEvent e = WebhookEvent.of(event, clock.millis(), data);
        for (WebhookEndpoint endpoint : endpoints) {
            endpoint.offer(e);
        }
    }

    @Override
    public void connected(String userId, Role role, String connectionId, long atMillis) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("userId", userId);
        d.put("role", role.wireName());
        d.put("connectionId", connectionId);
        d.put("connectedAt", atMillis);
        emit("connect", d);
    }

    @Override
    public void disconnected(String userId, Role role, String connectionId, int closeCode, String closeReason,
                             boolean byServer) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("userId", userId);
        d.put("role", role.wireName());
        d.put("connectionId", connectionId);
        d.put("closeCode", closeCode < 0 ? null : closeCode);
        d.put("closeReason", closeReason);
        d.put("closedBy", closeCode < 0 ? null : byServer ? "server" : "client");
        emit("disconnect", d);
    }

    @Override
    public void matched(String userId, String agentId) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("userId", userId);
        d.put("agentId", agentId);
        emit("match", d);
    }

    @Override
    public void left(String userId, String agentId, String by, boolean graceExpired) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("userId", userId);
        d.put("agentId", agentId);
        d.put("by", by);
        d.put("reason", graceExpired ? "disconnected" : "leave");
        emit("leave", d);
    }

    @Override
    public boolean handlesSystemMessages() {
        return true;
    }

    @Override
    public void systemMessage(String from, Role role, String msgId, String msg) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("from", from);
        d.put("role", role.wireName());
        d.put("msgId", msgId);
        d.put("msg", msg);
        emit("message.system", d);
    }

    @Override
    public void messageRouted(Envelope delivered, Router.Delivery outcome) {
        if (!archive) {
            return;
        }
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("msgId", delivered.msgId());
        d.put("from", delivered.from());
        d.put("to", delivered.to());
        d.put("msg", delivered.msg());
        d.put("timestamp", delivered.timestamp());
        d.put("delivery", outcome == Router.Delivery.LIVE ? "live" : "held");
        emit("message.routed", d);
    }

    /** Completes once every URL has nothing queued or in flight. */
    public CompletableFuture<Void> whenIdle() {
        return CompletableFuture.allOf(endpoints.stream().map(WebhookEndpoint::whenIdle)
                                                .toArray(CompletableFuture[]::new));
    }

    /** Events waiting across all URLs (not counting those in flight). */
    public int queued() {
        int n = 0;
        for (WebhookEndpoint e : endpoints) {
            n += e.queued();
        }
        return n;
    }

    @Override
    public void close() {
        for (WebhookEndpoint e : endpoints) {
            e.close();
        }
    }
}
