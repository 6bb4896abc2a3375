package io.switchboard.gateway.chat;

import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.netty.CloseCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a session that a newer connection of the same userId displaced, with 4001 {@code replaced}
 * ({@code PROTOCOL.md} §1): the one place that does it, whether the newer connection is on this gateway
 * ({@link SessionLifecycle}) or on another node of the cluster (the cluster presence is told so). Thread-safe and
 * non-blocking: safe to call from any event loop.
 */
public final class Replacement {

    private static final Logger logger = LoggerFactory.getLogger(Replacement.class);

    private final GatewayMetrics metrics;

    public Replacement(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    /** Closes {@code displaced} with 4001; {@code by} names the newer connection for the log. */
    public void replace(Session displaced, Object by) {
        metrics.sessionReplaced();
        logger.debug("{} replaced by {}", displaced.channel(), by);
        displaced.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.REPLACED, "replaced"))
                 .addListener(ChannelFutureListener.CLOSE);
    }
}
