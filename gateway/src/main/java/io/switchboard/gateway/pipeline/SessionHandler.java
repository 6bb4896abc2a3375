package io.switchboard.gateway.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.switchboard.gateway.chat.LocalDelivery;
import io.switchboard.gateway.chat.SessionLifecycle;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Session;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of a connection's session. When the upgrade completes it removes the handshake-only handlers
 * (pings and the idle close are the {@link IdleSweeper}'s, for all connections at once), creates the {@link Session}
 * and hands it to {@link SessionLifecycle#connected}, which registers it (the registry forgets it when the channel
 * closes). When the channel becomes writable again it delivers what was held for the user meanwhile.
 *
 * <p>Sits after {@code frame-codec}; runs on the channel's event loop. Holds no buffers. One per channel.
 */
final class SessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(SessionHandler.class);

    private final SessionLifecycle lifecycle;
    private final LocalDelivery delivery;
    private final Clock clock;
    private Session session;

    SessionHandler(SessionLifecycle lifecycle, LocalDelivery delivery, Clock clock) {
        this.lifecycle = lifecycle;
        this.delivery = delivery;
        this.clock = clock;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            start(ctx);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // A message pipelined right behind the upgrade request may be decoded before the event fires.
        start(ctx);
        ctx.fireChannelRead(msg);
    }

    private void start(ChannelHandlerContext ctx) {
        if (session != null) {
            return;
        }
        // Taken off the channel: the session keeps what it says, and a held connection does not keep it twice.
        final ConnectionIdentity identity = ctx.channel().attr(SessionAttributes.IDENTITY).getAndSet(null);
        if (identity == null) {
            throw new IllegalStateException("WebSocket upgrade without an identity from the handshake guard");
        }
        final ChannelPipeline p = ctx.pipeline();
        removeIfPresent(p, HandlerNames.HTTP_CONNECTION);
        removeIfPresent(p, HandlerNames.STATIC_PAGES);
        removeIfPresent(p, HandlerNames.HTTP_ENDPOINTS);
        removeIfPresent(p, HandlerNames.HANDSHAKE_GUARD);
        session = new Session(identity, ctx.channel(), clock.millis());
        ctx.channel().attr(SessionAttributes.SESSION).set(session);
        logger.debug("{} connected userId={} role={}", ctx.channel(), identity.userId(), identity.role().wireName());
        lifecycle.connected(session);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (session != null && ctx.channel().isWritable()) {
            delivery.onWritable(session);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (session != null) {
            logger.debug("{} disconnected userId={}", ctx.channel(), session.userId());
        }
        ctx.fireChannelInactive();
    }

    private static void removeIfPresent(ChannelPipeline p, String name) {
        if (p.get(name) != null) {
            p.remove(name);
        }
    }
}
