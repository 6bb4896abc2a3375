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
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns chat events into webhooks ({@code docs/WEBHOOKS.md}) and hands each to every configured URL's
 * {@link WebhookEndpoint}. The {@link ChatEvents} methods build a small map and offer it to bounded queues; the
 * serialization, signing and HTTP happen on the endpoints' event loops, never on the caller's message path.
 *
 * <p>The queues are written through to a {@link WebhookOutbox}; at construction the entries of the previous run are
 * queued again (those of URLs no longer configured are dropped, logged and counted as {@code url_removed}), and a
 * cluster node hands it, while running, the entries it took over from a dead node ({@link #restore}).
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class WebhookDispatcher implements ChatEvents, WebhookOutbox.Receiver, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(WebhookDispatcher.class);

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
    private final List<URI> urls;
    private final boolean archive;
    private final Clock clock;
    private final WebhookOutbox outbox;
    private final GatewayMetrics metrics;
    private final long retryWindowMillis;
    /** The outbox seq of the next event; above every seq loaded from the outbox. */
    private final AtomicLong nextSeq = new AtomicLong(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int restored;

    /** A dispatcher whose queues live in memory only. */
    public WebhookDispatcher(GatewayConfig.Webhooks config, EventLoopGroup loops,
                             Class<? extends Channel> channelClass, GatewayMetrics metrics, Clock clock) {
        this(config, loops, channelClass, metrics, clock, WebhookOutbox.NONE);
    }

    /**
     * Reads the outbox back and queues its entries again; blocks the calling thread (never an event loop) while
     * reading.
     *
     * @param loops        the gateway's I/O event loops; each URL's sender and connections run on one of them
     * @param channelClass the client socket channel class of the gateway's transport
     * @param outbox       where the queues are written through
     */
    public WebhookDispatcher(GatewayConfig.Webhooks config, EventLoopGroup loops,
                             Class<? extends Channel> channelClass, GatewayMetrics metrics, Clock clock,
                             WebhookOutbox outbox) {
        this.urls = List.copyOf(config.urls());
        this.archive = config.archiveMessages();
        this.clock = clock;
        this.outbox = outbox;
        this.metrics = metrics;
        this.retryWindowMillis = config.retryWindow().toMillis();
        final ObjectMapper mapper = JsonMapper.builder().build();
        final SslContext ssl = config.urls().stream().anyMatch(u -> "https".equalsIgnoreCase(u.getScheme()))
                               ? clientSsl() : null;
        final Backoff backoff = new Backoff(BACKOFF_BASE_MILLIS, BACKOFF_CAP_MILLIS);
        for (URI url : config.urls()) {
            endpoints.add(new WebhookEndpoint(url, loops.next(), channelClass,
                                              "https".equalsIgnoreCase(url.getScheme()) ? ssl : null, mapper,
                                              hmac(config.secret()), metrics, config.queueSize(),
                                              config.retryWindow(), config.requestTimeout(), backoff, outbox,
                                              clock));
        }
        restored = restore(outbox.load(), "the previous run");
    }

    /**
     * Queues outbox entries on their URLs' queues, behind what is queued there (at construction: ahead of every new
     * event), keeping each one's delivery id, body and first-attempt time; those past a queue's bound are dropped
     * ({@code queue_full}), those of URLs not configured here are removed from the outbox and counted
     * ({@code url_removed}). New events get seqs above the highest one restored. Used at construction for the
     * previous run's entries, and while running for the entries a cluster node takes over from a dead one.
     * Non-blocking; safe to call from any thread.
     *
     * @param origin where the entries come from, for the log ("the previous run", "node n2")
     * @return how many were queued
     */
    @Override
    public int restore(List<WebhookOutbox.Entry> entries, String origin) {
        final Map<String, List<WebhookOutbox.Entry>> byUrl = new TreeMap<>();
        long maxSeq = 0;
        for (WebhookOutbox.Entry e : entries) {
            byUrl.computeIfAbsent(e.url(), u -> new ArrayList<>()).add(e);
            maxSeq = Math.max(maxSeq, e.seq());
        }
        nextSeq.accumulateAndGet(maxSeq + 1, Math::max);
        final long now = clock.millis();
        int queued = 0;
        int expired = 0;
        for (int i = 0; i < endpoints.size(); i++) {
            final List<WebhookOutbox.Entry> mine = byUrl.remove(urls.get(i).toString());
            if (mine != null) {
                queued += endpoints.get(i).restore(mine);
                expired += (int) mine.stream().filter(e -> e.firstAttemptMillis() > 0
                                                           && now - e.firstAttemptMillis() > retryWindowMillis)
                                     .count();
            }
        }
        int orphans = 0;
        for (List<WebhookOutbox.Entry> list : byUrl.values()) {
            for (WebhookOutbox.Entry e : list) {
                outbox.removed(e.url(), e.seq());
                metrics.webhookDropped("url_removed");
                orphans++;
            }
        }
        if (orphans > 0) {
            logger.warn("Webhook outbox: {} events of {} for URLs not configured here dropped ({})", orphans, origin,
                        byUrl.keySet());
        }
        if (queued > 0) {
            logger.info("Webhook outbox: {} undelivered events of {} queued again ({} past their retry window, tried "
                        + "once more)", queued, origin, expired);
        }
        metrics.webhooksRestored(queued);
        return queued;
    }

    /**
     * Reserves {@code count} consecutive seqs that no event of this dispatcher will use: the seqs that entries taken
     * over from another outbox are renumbered to. Non-blocking; safe to call from any thread.
     *
     * @return the first of them
     */
    @Override
    public long reserveSeqs(int count) {
        return nextSeq.getAndAdd(count);
    }

    /** The events queued again from the outbox at construction. */
    public int restored() {
        return restored;
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
            endpoint.offer(e, nextSeq.getAndIncrement());
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
    public void queued(String userId, int position) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("userId", userId);
        d.put("position", position);
        emit("queued", d);
    }

    @Override
    public void dequeued(String userId, String outcome, String agentId, long waitedMillis) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("userId", userId);
        d.put("reason", outcome);
        if (agentId != null) {
            d.put("agentId", agentId);
        }
        d.put("waitedMs", waitedMillis);
        emit("dequeued", d);
    }

    @Override
    public void transferred(String userId, String fromAgentId, String toAgentId) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("userId", userId);
        d.put("fromAgentId", fromAgentId);
        d.put("toAgentId", toAgentId);
        emit("transferred", d);
    }

    @Override
    public void statusChanged(String agentId, String status) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("agentId", agentId);
        d.put("status", status);
        emit("status", d);
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

    /**
     * Stops every URL's sender. What is still queued stays in the outbox (if it is durable) for the next start.
     * Waits up to a second for the senders' loops to stop, so that the last removals reach the outbox before the
     * store closes. Idempotent; blocks the calling thread (never an event loop).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        final CompletableFuture<?>[] stopped = endpoints.stream().map(WebhookEndpoint::close)
                                                        .toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(stopped).get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            logger.debug("Webhook senders did not stop within 1 s: {}", e.toString());
        }
    }
}
