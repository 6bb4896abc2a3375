package io.switchboard.loadtest.client;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.switchboard.protocol.netty.InboundFrame;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection: turns pipeline events into {@link ClientListener} calls and keeps what
 * is needed to report how the connection ended ({@link CloseStatus}), which it reports exactly once, from the
 * channel's close future.
 *
 * <p>Runs on the channel's event loop. Releases every inbound message ({@link SimpleChannelInboundHandler}).
 */
final class ClientHandler extends SimpleChannelInboundHandler<Object> {

    private static final Logger logger = LoggerFactory.getLogger(ClientHandler.class);

    private final ClientListener listener;
    private final CompletableFuture<Channel> established;
    private boolean open;
    private int code = CloseStatus.NO_CODE;
    private String reason = "";
    private String failure;
    private Throwable cause;
    private boolean byClient;

    ClientHandler(ClientListener listener, CompletableFuture<Channel> established) {
        this.listener = requireNonNull(listener, "listener");
        this.established = requireNonNull(established, "established");
    }

    /** The close status of {@code ch}'s connection is being decided by this client (a planned close). */
    static void markClientClose(Channel ch) {
        final ClientHandler h = ch.pipeline().get(ClientHandler.class);
        if (h != null) {
            h.byClient = true;
        }
    }

    /** The TCP connect failed; called by {@link ClientConnector} on the channel's loop. */
    void connectFailed(Throwable cause) {
        fail(cause);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        final Channel ch = ctx.channel();
        ch.closeFuture().addListener(f -> closed(ch));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            open = true;
            established.complete(ctx.channel());
            listener.onOpen(ctx.channel());
        } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            // Netty closes the channel itself after firing this.
            if (failure == null) {
                failure = "handshake-timeout";
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof InboundFrame) {
            final InboundFrame frame = (InboundFrame) msg;
            if (frame.isValid()) {
                listener.onEnvelope(ctx.channel(), frame.envelope());
            } else {
                listener.onMalformed(ctx.channel(), frame.problem());
            }
        } else if (msg instanceof CloseWebSocketFrame) {
            final CloseWebSocketFrame close = (CloseWebSocketFrame) msg;
            code = close.statusCode();
            reason = close.reasonText();
            // RFC 6455 §5.5.1: answer with a close frame, then close the TCP connection; the protocol handler sends
            // the close frame on ctx.close().
            ctx.close();
        }
        // Other frames (ping/pong) are handled by the protocol handler; nothing else reaches here.
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        listener.onReadComplete(ctx.channel());
        super.channelReadComplete(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        listener.onWritabilityChanged(ctx.channel());
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (logger.isDebugEnabled()) {
            logger.debug("{} client connection failed", ctx.channel(), cause);
        }
        fail(cause);
        ctx.close();
    }

    private void fail(Throwable t) {
        if (failure == null && !byClient) {
            failure = FailureCauses.classify(t);
            cause = t;
        }
    }

    private void closed(Channel ch) {
        if (!open && failure == null && !byClient) {
            failure = "closed-before-handshake";
        }
        if (!established.isDone()) {
            established.completeExceptionally(cause != null ? cause : new ClosedChannelException());
        }
        listener.onClosed(ch, new CloseStatus(open, code, reason, failure, cause, byClient));
    }
}
