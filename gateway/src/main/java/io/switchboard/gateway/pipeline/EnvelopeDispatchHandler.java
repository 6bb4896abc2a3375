package io.switchboard.gateway.pipeline;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.chat.ChatService;
import io.switchboard.gateway.chat.TokenBucket;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.netty.CloseCodes;
import io.switchboard.protocol.netty.InboundFrame;
import io.switchboard.protocol.validate.EnvelopeValidator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates each inbound message and dispatches it by type to {@link ChatService}, then writes the answer. Malformed
 * input gets {@code error}/{@code BAD_MESSAGE}; after {@code maxBadMessages} malformed messages in a row the
 * connection is closed with 1008. Every message spends a token of the connection's rate limit first (the user or the agent bucket, by role).
 *
 * <p>Sits after {@code session}; runs on the channel's event loop, which alone touches its token bucket and strike
 * count. Receives no buffers ({@link InboundFrame} holds none). One per channel.
 */
final class EnvelopeDispatchHandler extends SimpleChannelInboundHandler<InboundFrame> {

    private static final Logger logger = LoggerFactory.getLogger(EnvelopeDispatchHandler.class);

    private final ChatService chat;
    private final EnvelopeValidator validator;
    private final GatewayMetrics metrics;
    private final GatewayConfig.RateLimit rateLimit;
    private final int maxBadMessages;
    private TokenBucket bucket;
    private int badInARow;
    private ChatService.Pending pending;

    EnvelopeDispatchHandler(ChatService chat, EnvelopeValidator validator, GatewayMetrics metrics,
                            GatewayConfig.RateLimit rateLimit, int maxBadMessages) {
        this.chat = chat;
        this.validator = validator;
        this.metrics = metrics;
        this.rateLimit = rateLimit;
        this.maxBadMessages = maxBadMessages;
    }

    /** With a given bucket whatever the role (tests control its clock this way). */
    EnvelopeDispatchHandler(ChatService chat, EnvelopeValidator validator, GatewayMetrics metrics,
                            TokenBucket bucket, int maxBadMessages) {
        this(chat, validator, metrics, (GatewayConfig.RateLimit) null, maxBadMessages);
        this.bucket = bucket;
    }

    /** The connection's bucket, sized by its role (known only after the upgrade). */
    private TokenBucket bucket(Session session, long now) {
        if (bucket == null) {
            bucket = session.role() == Role.AGENT
                     ? new TokenBucket(rateLimit.agentPerSecond(), rateLimit.agentBurst(), now)
                     : new TokenBucket(rateLimit.perSecond(), rateLimit.burst(), now);
        }
        return bucket;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, InboundFrame frame) {
        final Session session = ctx.channel().attr(SessionAttributes.SESSION).get();
        final Envelope envelope = frame.envelope();
        final MessageType type = envelope == null ? null : validator.clientType(envelope);
        if (type == null) {
            onBadMessage(ctx, session, envelope);
            return;
        }
        badInARow = 0;
        final long now = System.nanoTime();
        if (!bucket(session, now).tryAcquire(now)) {
            ctx.writeAndFlush(chat.rateLimited(session, type, envelope));
            return;
        }
        switch (type) {
            case NORMAL:
                // Allocation-free when the receipt is known at once (every single-node answer).
                final Envelope receipt = chat.normal(session, envelope, pending(ctx));
                if (receipt != null) {
                    ctx.writeAndFlush(receipt);
                }
                break;
            case MATCH:
                reply(ctx, chat.match(session, envelope));
                break;
            case PING:
                ctx.writeAndFlush(chat.ping(session, envelope));
                break;
            case LEAVE:
                reply(ctx, chat.leave(session, envelope));
                break;
            default:
                throw new IllegalStateException("validator let through " + type);
        }
    }

    /** Writes a receipt that was not known at once; made once per channel. */
    private ChatService.Pending pending(ChannelHandlerContext ctx) {
        if (pending == null) {
            pending = answer -> reply(ctx, answer);
        }
        return pending;
    }

    /**
     * Writes the answer once it is known: at once when the stage is already complete (every single-node answer),
     * else on this channel's loop when it completes (a cluster answer waits for Redis or another node).
     */
    private static void reply(ChannelHandlerContext ctx, CompletionStage<Envelope> answer) {
        if (answer instanceof CompletableFuture<Envelope> done && done.isDone() && !done.isCompletedExceptionally()) {
            ctx.writeAndFlush(done.getNow(null));
            return;
        }
        answer.whenCompleteAsync((envelope, error) -> {
            if (error != null) {
                ctx.fireExceptionCaught(error);
            } else {
                ctx.writeAndFlush(envelope);
            }
        }, ctx.executor());
    }

    private void onBadMessage(ChannelHandlerContext ctx, Session session, Envelope envelope) {
        // Echo the client's msgId only if it is a valid one.
        final String msgId = envelope != null && envelope.msgId() != null && !envelope.msgId().isEmpty()
                             && envelope.msgId().length() <= EnvelopeValidator.MAX_MSG_ID_CHARS
                             ? envelope.msgId() : null;
        ctx.write(chat.badMessage(msgId, session.userId()));
        if (++badInARow >= maxBadMessages) {
            logger.debug("{} {} malformed messages in a row, closing with 1008", ctx.channel(), badInARow);
            metrics.policyClose();
            ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.POLICY_VIOLATION, "too many malformed messages"))
               .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.flush();
        }
    }
}
