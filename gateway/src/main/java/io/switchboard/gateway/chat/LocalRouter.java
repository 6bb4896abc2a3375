package io.switchboard.gateway.chat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.protocol.netty.CloseCodes;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-node {@link Router}. A recipient that is connected, writable and has nothing held gets the envelope
 * written straight to its channel (Netty hops to the recipient's loop). Anything else goes to the
 * {@link OfflineStore}.
 *
 * <p>Slow consumers: a recipient whose channel is above its high water mark is not written to; its messages are held
 * instead, and if it is still unwritable after {@code slowConsumerTimeoutNanos} it is closed with 1013, so one slow
 * reader can never grow the gateway's memory beyond the hold's bounds. Its held messages wait for its reconnect.
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class LocalRouter implements Router {

    private static final Logger logger = LoggerFactory.getLogger(LocalRouter.class);
    /** {@link io.switchboard.protocol.Envelopes#delivery} stamps this very constant: equals() hits identity first. */

    private final SessionRegistry registry;
    private final OfflineStore offline;
    private final GatewayMetrics metrics;
    private final long slowConsumerTimeoutNanos;

    public LocalRouter(SessionRegistry registry, OfflineStore offline, GatewayMetrics metrics,
                       long slowConsumerTimeoutNanos) {
        this.registry = registry;
        this.offline = offline;
        this.metrics = metrics;
        this.slowConsumerTimeoutNanos = slowConsumerTimeoutNanos;
    }

    @Override
    public CompletionStage<Delivery> deliver(String toUserId, Envelope envelope) {
        return deliverNow(toUserId, envelope, null).asStage();
    }

    @Override
    public CompletionStage<Delivery> deliverEncoded(String toUserId, Envelope envelope, ByteBuf encoded) {
        return deliverNow(toUserId, envelope, encoded).asStage();
    }

    /** The synchronous form of {@link #deliver}: on one gateway the outcome is known at once. */
    public Delivery deliverNow(String toUserId, Envelope envelope) {
        return deliverNow(toUserId, envelope, null);
    }

    /**
     * The synchronous form of {@link #deliverEncoded} ({@code encoded} may be {@code null}: encode the envelope). A
     * live delivery takes {@code encoded.retainedDuplicate()} before returning; the caller keeps {@code encoded}.
     */
    public Delivery deliverNow(String toUserId, Envelope envelope, ByteBuf encoded) {
        final long seq = offline.nextSeq();
        final Session session = registry.find(toUserId);
        if (session != null && session.channel().isWritable() && !offline.hasPending(toUserId)) {
            // The frame-codec encodes an envelope; a pre-encoded frame passes it untouched and Netty releases it.
            final Object message = encoded == null ? envelope : new TextWebSocketFrame(encoded.retainedDuplicate());
            // A write that fails (the peer's connection died under us) holds the message in its place.
            offline.writeOrHold(session.channel(), message, toUserId, envelope, seq);
            return Delivery.LIVE;
        }
        final Delivery delivery = offline.holdOrDeliver(toUserId, envelope, seq);
        if (delivery != Delivery.LIVE && session != null && !session.channel().isWritable()) {
            onSlowConsumer(session);
        }
        return delivery;
    }

    /**
     * Delivers what is held for {@code session} once it can take it again. Must run on the session's loop.
     */
    public void onWritable(Session session) {
        assert session.channel().eventLoop().inEventLoop();
        if (session.channel().isWritable()) {
            session.disarmSlowConsumerCheck();
        }
        offline.drainIfCurrent(session);
    }

    private void onSlowConsumer(Session session) {
        final Channel channel = session.channel();
        // The channel may have become writable between the check and the hold: drain on its loop if so.
        channel.eventLoop().execute(() -> onWritable(session));
        if (!session.armSlowConsumerCheck()) {
            return;
        }
        metrics.slowConsumer(false);
        channel.eventLoop().schedule(() -> {
            session.disarmSlowConsumerCheck();
            if (channel.isActive() && !channel.isWritable()) {
                logger.debug("{} slow consumer: unwritable for {} ms, closing with 1013", channel,
                             TimeUnit.NANOSECONDS.toMillis(slowConsumerTimeoutNanos));
                metrics.slowConsumer(true);
                // The close frame queues behind what the peer is not reading; the WebSocket handler's force-close
                // timeout closes the socket if the frame cannot be written.
                channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.TRY_AGAIN_LATER, "slow consumer"));
                channel.close();
            }
        }, slowConsumerTimeoutNanos, TimeUnit.NANOSECONDS);
    }
}
