package io.switchboard.gateway.pipeline;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.switchboard.gateway.chat.ChatRules;
import io.switchboard.gateway.chat.LocalDelivery;
import io.switchboard.gateway.chat.SessionLifecycle;
import io.switchboard.gateway.chat.Stages;
import io.switchboard.gateway.chat.TokenBucket;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.netty.CloseCodes;
import io.switchboard.protocol.netty.InboundFrame;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one handler of a chat connection after the upgrade: its session's lifecycle and the dispatch of its messages
 * (one handler context per connection instead of two).
 *
 * <p>Lifecycle: when the upgrade completes it removes the handshake-only handlers (pings and the idle close are the
 * {@link IdleSweeper}'s, for all connections at once), creates the {@link Session} and hands it to
 * {@link SessionLifecycle#connected}, which registers it (the registry forgets it when the channel closes). When the
 * channel becomes writable again it delivers what was held for the user meanwhile.
 *
 * <p>Dispatch: each inbound message goes to {@link ChatRules} and the answer is written. Malformed input gets
 * {@code error}/{@code BAD_MESSAGE}; after {@code maxBadMessages} malformed messages in a row the connection is closed
 * with 1008. Every message spends a token of the connection's rate limit first (the user or the agent bucket, by
 * role).
 *
 * <p>Sits after {@code frame-codec}; runs on the channel's event loop, which alone touches its session field, token
 * bucket and strike count. Receives no buffers ({@link InboundFrame} holds none). One per channel.
 */
final class EnvelopeDispatchHandler extends SimpleChannelInboundHandler<InboundFrame> {

    private static final Logger logger = LoggerFactory.getLogger(EnvelopeDispatchHandler.class);

    /** {@code null} where a test attaches the session itself. */
    private final SessionLifecycle lifecycle;
    private final LocalDelivery delivery;
    private final Clock clock;
    private final ChatRules rules;
    private final GatewayMetrics metrics;
    private final GatewayConfig.RateLimit rateLimit;
    private final int maxBadMessages;
    private Session session;
    private TokenBucket bucket;
    private int badInARow;
    /** Not reading from the socket until the bucket refills; see {@link #throttle}. */
    private boolean throttled;
    /** Writes an answer; made once per channel, so the hot path allocates no continuation. */
    private BiConsumer<Envelope, Throwable> writeAnswer;

    EnvelopeDispatchHandler(SessionLifecycle lifecycle, LocalDelivery delivery, Clock clock, ChatRules rules,
                            GatewayMetrics metrics, GatewayConfig.RateLimit rateLimit, int maxBadMessages) {
        this.lifecycle = lifecycle;
        this.delivery = delivery;
        this.clock = clock;
        this.rules = rules;
        this.metrics = metrics;
        this.rateLimit = rateLimit;
        this.maxBadMessages = maxBadMessages;
    }

    /** Dispatch only, for a channel whose session a test attaches itself. */
    EnvelopeDispatchHandler(ChatRules rules, GatewayMetrics metrics, GatewayConfig.RateLimit rateLimit,
                            int maxBadMessages) {
        this(null, null, null, rules, metrics, rateLimit, maxBadMessages);
    }

    /** With a given bucket whatever the role (tests control its clock this way). */
    EnvelopeDispatchHandler(ChatRules rules, GatewayMetrics metrics, TokenBucket bucket, int maxBadMessages) {
        this(rules, metrics, (GatewayConfig.RateLimit) null, maxBadMessages);
        this.bucket = bucket;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            start(ctx);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        // A message pipelined right behind the upgrade request may be decoded before the event fires.
        start(ctx);
        super.channelRead(ctx, msg);
    }

    private void start(ChannelHandlerContext ctx) {
        if (session != null || lifecycle == null) {
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
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (session != null && ctx.channel().isWritable()) {
            delivery.onWritable(session);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
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
        final Session session = this.session != null ? this.session
                                                     : ctx.channel().attr(SessionAttributes.SESSION).get();
        final Envelope envelope = frame.envelope();
        final MessageType type = rules.classify(session, envelope);
        if (type == null) {
            onBadMessage(ctx, rules.badMessage(session, envelope));
            return;
        }
        if (type == MessageType.ACK) {
            // PROTOCOL.md §5: acks are not rate limited, and a valid one gets no answer.
            final Envelope refused = rules.ack(session, envelope);
            if (refused != null) {
                onBadMessage(ctx, refused);
            } else {
                badInARow = 0;
            }
            return;
        }
        badInARow = 0;
        final long now = System.nanoTime();
        final TokenBucket tokens = bucket(session, now);
        if (!tokens.tryAcquire(now)) {
            ctx.writeAndFlush(rules.rateLimited(session, type, envelope));
            throttle(ctx, tokens, now);
            return;
        }
        if (ChatRules.isOrdered(type)) {
            // Answers to pairing changes take their place among the notices of such changes: written through the
            // channel by whoever tells them, at that place (ChatRules.answer with a sink).
            final Channel channel = ctx.channel();
            rules.answer(session, type, envelope, channel::writeAndFlush).whenComplete((answer, error) -> {
                if (error != null) {
                    ctx.executor().execute(() -> ctx.fireExceptionCaught(error));
                }
            });
            return;
        }
        // Written at once when the answer is known (every single-node answer), else on this loop when it is.
        Stages.whenDone(rules.answer(session, type, envelope), ctx.executor(), writeAnswer(ctx));
    }

    /**
     * A connection over its rate limit is not read from until its bucket holds a tenth of its burst again (200 ms
     * with the defaults): what it already sent waits in the socket, and the kernel's flow control slows the sender.
     * The frames already read in this batch are still answered (each with {@code RATE_LIMITED} while the bucket is
     * empty), so one read batch bounds what a flooding connection costs its event loop per turn; then the loop
     * serves everyone else.
     */
    private void throttle(ChannelHandlerContext ctx, TokenBucket tokens, long now) {
        if (throttled) {
            return;
        }
        throttled = true;
        metrics.throttled();
        ctx.channel().config().setAutoRead(false);
        final long waitNanos = Math.max(1, tokens.nanosUntil(Math.max(1, tokens.burst() / 10), now));
        ctx.executor().schedule(() -> {
            throttled = false;
            if (ctx.channel().isActive()) {
                ctx.channel().config().setAutoRead(true);
            }
        }, waitNanos, TimeUnit.NANOSECONDS);
    }

    private BiConsumer<Envelope, Throwable> writeAnswer(ChannelHandlerContext ctx) {
        if (writeAnswer == null) {
            writeAnswer = (answer, error) -> {
                if (error != null) {
                    ctx.fireExceptionCaught(error);
                } else if (answer != null) {
                    ctx.writeAndFlush(answer);
                } else {
                    ctx.flush(); // typing and read have no answer; a history's entries may wait for a flush
                }
            };
        }
        return writeAnswer;
    }

    private void onBadMessage(ChannelHandlerContext ctx, Envelope answer) {
        ctx.write(answer);
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
