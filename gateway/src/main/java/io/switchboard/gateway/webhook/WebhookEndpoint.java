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
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HexFormat;
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
 * <p>Threading: {@link #offer} is called from any event loop and only offers to the queue. Everything else (the
 * sender, the pool, the client connections, the timers) runs on one event loop, {@code loop}, and never blocks it.
 */
final class WebhookEndpoint {

    private static final Logger logger = LoggerFactory.getLogger(WebhookEndpoint.class);
    private static final int MAX_RESPONSE_BYTES = 64 * 1024;
    private static final long DROP_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** An event being delivered, with what its retries reuse: the body and its signature. */
    private static final class InFlight {
        final WebhookEvent event;
        final byte[] body;
        final String signature;
        final long firstAttemptNanos = System.nanoTime();
        int failures;

        InFlight(WebhookEvent event, byte[] body, String signature) {
            this.event = event;
            this.body = body;
            this.signature = signature;
        }
    }

    private final URI url;
    private final String hostHeader;
    private final String path;
    private final EventLoop loop;
    private final ObjectMapper mapper;
    private final Mac mac;
    private final GatewayMetrics metrics;
    private final long retryWindowNanos;
    private final long requestTimeoutMillis;
    private final Backoff backoff;
    private final ArrayBlockingQueue<WebhookEvent> queue;
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
                    Duration requestTimeout, Backoff backoff) {
        this.url = url;
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

    /** Queues {@code event}; if the queue is full the event is dropped and counted. Non-blocking; any thread. */
    void offer(WebhookEvent event) {
        if (!queue.offer(event)) {
            metrics.webhookDropped("queue_full");
            logDrop();
            return;
        }
        wake();
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
            final WebhookEvent next = queue.poll();
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
        if (System.nanoTime() - attempt.firstAttemptNanos > retryWindowNanos) {
            logger.warn("Webhook {} {} to {} given up after {} failed attempts (retry window over)",
                        attempt.event.event(), attempt.event.deliveryId(), url, attempt.failures);
            metrics.webhookDropped("retry_window");
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

    private InFlight prepare(WebhookEvent event) {
        try {
            final byte[] body = mapper.writeValueAsBytes(new Body(event.event(), event.deliveryId(),
                                                                  event.timestamp(), event.data()));
            return new InFlight(event, body, "sha256=" + HexFormat.of().formatHex(mac.doFinal(body)));
        } catch (JsonProcessingException e) {
            logger.warn("Webhook {} cannot be serialized, dropped: {}", event.event(), e.toString());
            metrics.webhookDropped("unserializable");
            return null;
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

    /** Stops sending and closes the pooled connections; what is still queued is lost (logged). */
    void close() {
        loop.execute(() -> {
            closed = true;
            final int left = queue.size() + (current == null ? 0 : 1);
            if (left > 0) {
                logger.warn("Webhooks to {}: {} undelivered events at shutdown", url, left);
            }
            pool.close();
            notifyIdle();
        });
    }
}
