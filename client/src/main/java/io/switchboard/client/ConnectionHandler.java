package io.switchboard.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.netty.InboundFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of one connection of a {@link SwitchboardClient}, and that connection's state: the {@code since}
 * it was opened with, the highest seq received and the highest acknowledged on it. Turns pipeline events into calls
 * on the client and records how the connection ended (the server's close code, or the failure), which it reports
 * once, from the channel's close future.
 *
 * <p>Runs on the client's event loop, like everything in the client. Releases every inbound message
 * ({@link SimpleChannelInboundHandler}); a close frame is released after its status is read.
 */
final class ConnectionHandler extends SimpleChannelInboundHandler<Object> {

    private static final Logger logger = LoggerFactory.getLogger(ConnectionHandler.class);

    /** {@link #closeCode} when the server sent no close frame. */
    static final int NO_CODE = -1;

    private final SwitchboardClient client;
    /** The {@code since} in this connection's URI, or {@link InboundSequence#UNKNOWN}. */
    final long since;
    /** The highest seq received on this connection: an ack above what the gateway sent here is refused. */
    long highestReceived;
    /** The highest seq acknowledged on this connection ({@code since} acknowledges up to itself). */
    long acked;
    Channel channel;
    boolean open;
    boolean reported;
    int closeCode = NO_CODE;
    Throwable cause;

    ConnectionHandler(SwitchboardClient client, long since) {
        this.client = client;
        this.since = since;
        this.highestReceived = since;
        this.acked = since;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        channel.closeFuture().addListener(f -> client.connectionClosed(this));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            open = true;
            client.connectionOpened(this);
        } else if (evt instanceof IdleStateEvent && open) {
            // Application keep-alive, as the web pages send it: some proxies only count data frames as activity.
            ctx.writeAndFlush(Envelope.client(MessageType.PING.wireName(), null, null, null), ctx.voidPromise());
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof InboundFrame) {
            final InboundFrame frame = (InboundFrame) msg;
            if (frame.isValid()) {
                client.envelopeArrived(this, frame.envelope());
            } else if (logger.isDebugEnabled()) {
                logger.debug("{} malformed message from the gateway: {}", ctx.channel(), frame.problem());
            }
        } else if (msg instanceof CloseWebSocketFrame) {
            closeCode = ((CloseWebSocketFrame) msg).statusCode();
            // RFC 6455 §5.5.1: answer the close; the protocol handler sends our close frame on close().
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
        if (cause == null) {
            cause = t;
        }
        if (logger.isDebugEnabled()) {
            logger.debug("{} connection failed", ctx.channel(), t);
        }
        ctx.close();
    }
}
