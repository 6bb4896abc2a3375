package io.switchboard.gateway.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.switchboard.gateway.metrics.GatewayMetrics;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to one backend URL, in order: a bounded queue (full: the event is dropped and counted), and a
 * sender that POSTs the head event, waits for a 2xx, and only then moves on. A failed attempt is retried after an
 * exponential backoff with full jitter, until the event has waited {@code retryWindow}; then it is dropped and
 * counted. Connections come from a small keep-alive pool ({@link SimpleChannelPool}).
 *
 * <p>The queue is written through to a {@link WebhookOutbox}: an entry when an event is accepted, the time of its
 * first failed attempt, and its removal once it is delivered or given up. {@link #restore} queues the entries of a
 * previous run again, with their delivery id, body and first attempt, so the retry window still counts from then.
 *
 * <p>Threading: {@link #offer} is called from any event loop and only offers to the queue. Everything else (the
 * sender, the pool, the client connections, the timers) runs on one event loop, {@code loop}, and never blocks it.
 */
final class WebhookEndpoint {

    private static final Logger logger = LoggerFactory.getLogger(WebhookEndpoint.class);
    private static final int MAX_RESPONSE_BYTES = 64 * 1024;
    private static final long DROP_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * An event in the queue: its outbox seq, and for one restored from the outbox its stored body and the wall-clock
     * time of its first attempt ({@code 0}: none failed yet). A new event has no body yet: the sender serializes it.
     */
    private record Queued(long seq, WebhookEvent event, byte[] body, long firstAttemptMillis) {}

    /** An event being delivered, with what its retries reuse: the body and its signature. */
    private static final class InFlight {
        final long seq;
        final WebhookEvent event;
        final byte[] body;
        final String signature;
        final long firstAttemptNanos;
        final long firstAttemptMillis;
        /** Whether the outbox already knows when the first attempt was (a restored event that had failed). */
        final boolean attemptRecorded;
        int failures;

        InFlight(Queued q, byte[] body, String signature, long nowMillis) {
            this.seq = q.seq();
            this.event = q.event();
            this.body = body;
            this.signature = signature;
            this.attemptRecorded = q.firstAttemptMillis() > 0;
            this.firstAttemptMillis = attemptRecorded ? q.firstAttemptMillis() : nowMillis;
            this.firstAttemptNanos = System.nanoTime()
                                     - TimeUnit.MILLISECONDS.toNanos(Math.max(0, nowMillis - firstAttemptMillis));
        }
    }

    private final URI url;
    /** The URL as the outbox names it. */
    private final String key;
    private final WebhookOutbox outbox;
    private final Clock clock;
    private final String hostHeader;
    private final String path;
    private final EventLoop loop;
    private final ObjectMapper mapper;
    private final Mac mac;
    private final GatewayMetrics metrics;
    private final long retryWindowNanos;
    private final long requestTimeoutMillis;
    private final Backoff backoff;
    private final ArrayBlockingQueue<Queued> queue;
    private final SimpleChannelPool pool;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicLong droppedSinceLog = new AtomicLong();
    private final AtomicLong lastDropLogNanos = new AtomicLong(System.nanoTime() - DROP_LOG_INTERVAL_NANOS);
    /** Touched only on {@code loop}. */
    private InFlight current;
    private boolean closed;
    private final ArrayDeque<CompletableFuture<Void>> idleWaiters = new ArrayDeque<>();

    WebhookEndpoint(URI url, EventLoop loop, Class<? extends Channel> channelClass, SslContext ssl,
                    ObjectMapper mapper, Mac mac, GatewayMetrics metrics, int queueSize, Duration retryWindow,
                    Duration requestTimeout, Backoff backoff, WebhookOutbox outbox, Clock clock) {
        this.url = url;
        this.key = url.toString();
        this.outbox = outbox;
        this.clock = clock;
        this.loop = loop;
        this.mapper = mapper;
        this.mac = mac;
        this.metrics = metrics;
        this.retryWindowNanos = retryWindow.toNanos();
        this.requestTimeoutMillis = requestTimeout.toMillis();
        this.backoff = backoff;
        this.queue = new ArrayBlockingQueue<>(queueSize);
        final boolean https = "https".equalsIgnoreCase(url.getScheme());
        final int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        this.hostHeader = url.getPort() > 0 ? url.getHost() + ':' + url.getPort() : url.getHost();
        final String rawPath = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        this.path = url.getRawQuery() == null ? rawPath : rawPath + '?' + url.getRawQuery();
        final Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(requestTimeoutMillis, Integer.MAX_VALUE))
                .option(ChannelOption.TCP_NODELAY, true)
                .remoteAddress(url.getHost(), port);
        final WebhookResponseHandler responses = new WebhookResponseHandler();
        this.pool = new SimpleChannelPool(bootstrap, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                if (ssl != null) {
                    ch.pipeline().addLast("webhook-tls", ssl.newHandler(ch.alloc(), url.getHost(), port));
                }
                ch.pipeline().addLast("webhook-http-codec", new HttpClientCodec());
                ch.pipeline().addLast("webhook-http-aggregator", new HttpObjectAggregator(MAX_RESPONSE_BYTES));
                ch.pipeline().addLast("webhook-response", responses);
            }
        }, ChannelHealthChecker.ACTIVE, true);
    }

    /**
     * Queues {@code event} as outbox entry {@code seq}; if the queue is full the event is dropped and counted.
     * Non-blocking; safe to call from any event loop.
     */
    void offer(WebhookEvent event, long seq) {
        // Checked first so that a backend outage does not cost an outbox write and its removal per dropped event.
        if (queue.remainingCapacity() == 0) {
            dropFull();
            return;
        }
        // Into the outbox before the queue: the removal, made after the sender took the event, then comes after it.
        outbox.added(key, seq, event.deliveryId(), event.event(), () -> serialize(event));
        if (!queue.offer(new Queued(seq, event, null, 0))) {
            outbox.removed(key, seq);
            dropFull();
            return;
        }
        wake();
    }

    private void dropFull() {
        metrics.webhookDropped("queue_full");
        logDrop();
    }

    /**
     * Queues outbox entries (this URL's, in seq order) behind what is queued: at start, the previous run's, ahead of
     * any new event; while running, those a cluster node took over from a dead one. Entries past the queue size are
     * dropped, removed from the outbox and counted ({@code queue_full}): the bound holds for them too. Non-blocking;
     * safe to call from any thread.
     *
     * @return how many were queued
     */
    int restore(List<WebhookOutbox.Entry> entries) {
        int queued = 0;
        for (WebhookOutbox.Entry e : entries) {
            final Queued q = new Queued(e.seq(), new WebhookEvent(e.event(), e.deliveryId(), 0, Map.of()),
                                        e.body().getBytes(StandardCharsets.UTF_8), e.firstAttemptMillis());
            if (queue.offer(q)) {
                queued++;
            } else {
                outbox.removed(key, e.seq());
                metrics.webhookDropped("queue_full");
            }
        }
        if (queued < entries.size()) {
            logger.warn("Webhooks to {}: {} restored events did not fit in the queue ({} queued), dropped", url,
                        entries.size() - queued, queue.size());
        }
        if (queued > 0) {
            wake();
        }
        return queued;
    }

    private void wake() {
        if (scheduled.compareAndSet(false, true)) {
            loop.execute(this::sendNext);
        }
    }

    /** Sends the head event; runs on {@code loop}. */
    private void sendNext() {
        assert loop.inEventLoop();
        if (closed) {
            return;
        }
        if (current == null) {
            final Queued next = queue.poll();
            if (next == null) {
                scheduled.set(false);
                // An offer may have slipped in between the poll and the flag: take it, or we are idle.
                if (!queue.isEmpty() && scheduled.compareAndSet(false, true)) {
                    loop.execute(this::sendNext);
                } else {
                    notifyIdle();
                }
                return;
            }
            current = prepare(next);
            if (current == null) {
                loop.execute(this::sendNext);
                return;
            }
        }
        final InFlight attempt = current;
        // Checked only after a failure: an event restored after its window ran out while the gateway was down still
        // gets one attempt (docs/WEBHOOKS.md).
        if (attempt.failures > 0 && System.nanoTime() - attempt.firstAttemptNanos > retryWindowNanos) {
            logger.warn("Webhook {} {} to {} given up after {} failed attempts (retry window over)",
                        attempt.event.event(), attempt.event.deliveryId(), url, attempt.failures);
            metrics.webhookDropped("retry_window");
            outbox.removed(key, attempt.seq);
            current = null;
            loop.execute(this::sendNext);
            return;
        }
        final long start = System.nanoTime();
        pool.acquire(loop.newPromise()).addListener((Future<Channel> acquired) -> {
            if (!acquired.isSuccess()) {
                onFailure(attempt, acquired.cause().toString());
                return;
            }
            post(acquired.getNow(), attempt, start);
        });
    }

    private InFlight prepare(Queued q) {
        final byte[] body;
        if (q.body() != null) {
            body = q.body();
        } else {
            try {
                body = mapper.writeValueAsBytes(body(q.event()));
            } catch (JsonProcessingException e) {
                logger.warn("Webhook {} cannot be serialized, dropped: {}", q.event().event(), e.toString());
                metrics.webhookDropped("unserializable");
                outbox.removed(key, q.seq());
                return null;
            }
        }
        return new InFlight(q, body, "sha256=" + HexFormat.of().formatHex(mac.doFinal(body)), clock.millis());
    }

    private static Body body(WebhookEvent event) {
        return new Body(event.event(), event.deliveryId(), event.timestamp(), event.data());
    }

    /** The body the sender will send, as the outbox keeps it; runs on the outbox's thread. */
    private String serialize(WebhookEvent event) {
        try {
            return mapper.writeValueAsString(body(event));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JSON body of every webhook. */
    record Body(String event, String deliveryId, long timestamp, Object data) {}

    private void post(Channel ch, InFlight attempt, long start) {
        final Promise<Integer> response = ch.eventLoop().newPromise();
        ch.attr(WebhookResponseHandler.RESPONSE).set(response);
        final Future<?> timeout = ch.eventLoop().schedule(() -> {
            if (response.tryFailure(new TimeoutException("no response within " + requestTimeoutMillis + " ms"))) {
                ch.close();
            }
        }, requestTimeoutMillis, TimeUnit.MILLISECONDS);
        response.addListener((Future<Integer> f) -> {
            timeout.cancel(false);
            pool.release(ch);
            if (f.isSuccess() && f.getNow() / 100 == 2) {
                metrics.webhookSent(System.nanoTime() - start);
                outbox.removed(key, attempt.seq);
                current = null;
                sendNext();
            } else {
                onFailure(attempt, f.isSuccess() ? "HTTP " + f.getNow() : f.cause().toString());
            }
        });
        final FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                                                               Unpooled.wrappedBuffer(attempt.body));
        req.headers()
           .set(HttpHeaderNames.HOST, hostHeader)
           .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
           .set(HttpHeaderNames.CONTENT_LENGTH, attempt.body.length)
           .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE)
           .set(HttpHeaderNames.USER_AGENT, "switchboard-webhooks")
           .set(WebhookDispatcher.EVENT_HEADER, attempt.event.event())
           .set(WebhookDispatcher.DELIVERY_HEADER, attempt.event.deliveryId())
           .set(WebhookDispatcher.SIGNATURE_HEADER, attempt.signature);
        ch.writeAndFlush(req).addListener(w -> {
            if (!w.isSuccess()) {
                response.tryFailure(w.cause());
                ch.close();
            }
        });
    }

    private void onFailure(InFlight attempt, String why) {
        attempt.failures++;
        metrics.webhookFailed();
        if (attempt.failures == 1 && !attempt.attemptRecorded) {
            // Recorded on the first failure only: most events succeed at once and never cost this write.
            outbox.attempted(key, attempt.seq, attempt.firstAttemptMillis);
        }
        final long delay = backoff.delayMillis(attempt.failures);
        logger.debug("Webhook {} {} to {} failed ({}), retry {} in {} ms", attempt.event.event(),
                     attempt.event.deliveryId(), url, why, attempt.failures, delay);
        loop.schedule(this::sendNext, delay, TimeUnit.MILLISECONDS);
    }

    private void logDrop() {
        droppedSinceLog.incrementAndGet();
        final long now = System.nanoTime();
        final long last = lastDropLogNanos.get();
        if (now - last >= DROP_LOG_INTERVAL_NANOS && lastDropLogNanos.compareAndSet(last, now)) {
            logger.warn("Webhook queue for {} is full: dropped {} events in the last {} s", url,
                        droppedSinceLog.getAndSet(0), TimeUnit.NANOSECONDS.toSeconds(DROP_LOG_INTERVAL_NANOS));
        }
    }

    /** Completes once nothing is queued or in flight (for a graceful shutdown and tests). */
    CompletableFuture<Void> whenIdle() {
        final CompletableFuture<Void> idle = new CompletableFuture<>();
        loop.execute(() -> {
            if (current == null && queue.isEmpty() && !scheduled.get()) {
                idle.complete(null);
            } else {
                idleWaiters.add(idle);
            }
        });
        return idle;
    }

    private void notifyIdle() {
        for (CompletableFuture<Void> f; (f = idleWaiters.poll()) != null; ) {
            f.complete(null);
        }
    }

    /** Events waiting, not counting the one in flight. */
    int queued() {
        return queue.size();
    }

    /**
     * Stops sending and closes the pooled connections. What is still queued stays in a durable outbox for the next
     * start, or is lost with a memory-only one (logged either way). Completes once done on {@code loop}.
     */
    CompletableFuture<Void> close() {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            closed = true;
            final int left = queue.size() + (current == null ? 0 : 1);
            if (left > 0 && outbox.durable()) {
                logger.info("Webhooks to {}: {} undelivered events kept in the outbox for the next start", url, left);
            } else if (left > 0) {
                logger.warn("Webhooks to {}: {} undelivered events at shutdown, lost", url, left);
            }
            pool.close();
            notifyIdle();
            done.complete(null);
        });
        return done;
    }
}
