package io.switchboard.gateway.pipeline;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.switchboard.gateway.metrics.GatewayMetrics;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the number of open connections. Up to {@code maxConnections} are accepted as usual; the next
 * {@link #HTTP_RESERVE} are accepted for plain HTTP only (marked {@link SessionAttributes#OVER_CAPACITY}: the handshake
 * guard answers their upgrade with 503), so that {@code /healthz} and {@code /readyz} keep answering at the cap, and
 * each is closed by the handshake timeout at the latest. Beyond that an accepted channel is closed before any handler
 * runs. Refusals are logged at most once a minute as one aggregated warning.
 *
 * <p>Sits on the server channel; runs on the acceptor's event loop. Thread-safe counters; {@code @Sharable}.
 */
@Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(ConnectionLimitHandler.class);
    private static final long WARN_INTERVAL_NANOS = 60_000_000_000L;
    /** Connections accepted above the cap for plain HTTP (health checks); part of the file headroom. */
    public static final int HTTP_RESERVE = 32;

    private final int maxConnections;
    private final GatewayMetrics metrics;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refusedSinceWarn = new AtomicLong();
    private volatile long lastWarnNanos = System.nanoTime() - WARN_INTERVAL_NANOS;

    public ConnectionLimitHandler(int maxConnections, GatewayMetrics metrics) {
        this.maxConnections = maxConnections;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        final Channel child = (Channel) msg;
        final int n = open.incrementAndGet();
        if (n > maxConnections + (long) HTTP_RESERVE) {
            open.decrementAndGet();
            child.unsafe().closeForcibly();
            metrics.connectionRefused();
            refusedSinceWarn.incrementAndGet();
            final long now = System.nanoTime();
            if (now - lastWarnNanos >= WARN_INTERVAL_NANOS) {
                lastWarnNanos = now;
                logger.warn("Refused {} connections: at max-connections {}", refusedSinceWarn.getAndSet(0),
                            maxConnections);
            }
            return;
        }
        if (n > maxConnections) {
            child.attr(SessionAttributes.OVER_CAPACITY).set(Boolean.TRUE);
        }
        child.closeFuture().addListener(f -> open.decrementAndGet());
        ctx.fireChannelRead(child);
    }

    /** Connections open now. */
    public int openConnections() {
        return open.get();
    }
}
