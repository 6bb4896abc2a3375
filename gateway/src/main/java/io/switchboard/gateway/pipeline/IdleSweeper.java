package io.switchboard.gateway.pipeline;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.netty.CloseCodes;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps live connections alive and ends dead ones ({@code PROTOCOL.md} §1), for all of them at once: after
 * {@code ping-interval} without a frame written to it a session gets a WebSocket ping; after {@code idle-timeout}
 * without a frame read from it (pongs included) it is closed with 1001 "idle timeout".
 *
 * <p>One sweep over the registry per {@link #periodNanos} replaces a per-connection {@code IdleStateHandler} and its
 * two scheduled tasks (about 300 bytes and two pipeline contexts per connection): each session only keeps when a
 * frame last went each way ({@link Session#lastReadNanos}, {@link Session#lastWriteNanos}, set by
 * {@link CloseStatusHandler}). The price is precision: a ping or an idle close comes up to one period late.
 *
 * <p>Runs on one event loop; what it writes, it writes through the channel (thread-safe). Holds no per-connection
 * state.
 */
public final class IdleSweeper implements Runnable {

    private static final Logger logger = LoggerFactory.getLogger(IdleSweeper.class);
    private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final SessionRegistry registry;
    private final long idleTimeoutNanos;
    private final long pingIntervalNanos;
    private final LongSupplier nanoClock;

    public IdleSweeper(SessionRegistry registry, long idleTimeoutNanos, long pingIntervalNanos,
                       LongSupplier nanoClock) {
        this.registry = registry;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.pingIntervalNanos = pingIntervalNanos;
        this.nanoClock = nanoClock;
    }

    /** How often to sweep: a quarter of the shorter interval, between 10 ms and 1 s. */
    public long periodNanos() {
        final long quarter = Math.min(idleTimeoutNanos, pingIntervalNanos) / 4;
        return Math.max(MIN_PERIOD_NANOS, Math.min(MAX_PERIOD_NANOS, quarter));
    }

    @Override
    public void run() {
        final long now = nanoClock.getAsLong();
        registry.forEach(session -> check(session, now));
    }

    /** Pings or closes {@code session} if it has been quiet too long. */
    void check(Session session, long now) {
        final Channel channel = session.channel();
        if (!channel.isActive() || session.closeStatus() != null) {
            return; // closing already
        }
        if (now - session.lastReadNanos() >= idleTimeoutNanos) {
            logger.debug("{} idle timeout, closing with 1001", channel);
            channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.GOING_AWAY, "idle timeout"))
                   .addListener(ChannelFutureListener.CLOSE);
        } else if (now - session.lastWriteNanos() >= pingIntervalNanos) {
            session.wrote(now); // one ping per interval, even before the loop writes it
            channel.writeAndFlush(new PingWebSocketFrame());
        }
    }
}
