package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import io.switchboard.protocol.netty.EnvelopeFrameCodec;
import io.switchboard.protocol.netty.InboundFrame;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal WebSocket test client for the cluster ITs: connects, sends envelopes, and queues what it receives. All
 * clients of a test share one {@link EventLoopGroup}. Waits are bounded queue polls and future gets, never sleeps.
 * (To be replaced by the shared {@code testing.WsTestClient} once it lands on main.)
 */
final class WsClient implements AutoCloseable {

    private static final EnvelopeJson JSON = EnvelopeJson.create();

    final String userId;
    private final Channel channel;
    private final LinkedBlockingQueue<Envelope> received;
    private final CompletableFuture<Integer> closeStatus;

    private WsClient(String userId, Channel channel, LinkedBlockingQueue<Envelope> received,
                     CompletableFuture<Integer> closeStatus) {
        this.userId = userId;
        this.channel = channel;
        this.received = received;
        this.closeStatus = closeStatus;
    }

    static WsClient user(EventLoopGroup group, InetSocketAddress address, String userId) throws Exception {
        return connect(group, address, userId, false);
    }

    static WsClient agent(EventLoopGroup group, InetSocketAddress address, String userId) throws Exception {
        return connect(group, address, userId, true);
    }

    static WsClient connect(EventLoopGroup group, InetSocketAddress address, String userId, boolean agent)
            throws Exception {
        final URI uri = URI.create("ws://127.0.0.1:" + address.getPort() + "/pinter/imserver/" + userId
                                   + (agent ? "?role=agent" : ""));
        final LinkedBlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closeStatus = new CompletableFuture<>();
        final CompletableFuture<Void> handshake = new CompletableFuture<>();
        final WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .customHeaders(new DefaultHttpHeaders())
                .handleCloseFrames(false)
                .maxFramePayloadLength(1 << 20)
                .build();
        final Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16),
                                             new WebSocketClientProtocolHandler(config),
                                             new WebSocketFrameAggregator(1 << 20),
                                             new EnvelopeFrameCodec(JSON),
                                             new SimpleChannelInboundHandler<Object>() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent
                                        .HANDSHAKE_COMPLETE) {
                                    handshake.complete(null);
                                }
                                ctx.fireUserEventTriggered(evt);
                            }

                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof InboundFrame frame && frame.isValid()) {
                                    received.add(frame.envelope());
                                } else if (msg instanceof CloseWebSocketFrame close) {
                                    closeStatus.complete(close.statusCode());
                                    ctx.close();
                                }
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                closeStatus.complete(-1);
                                handshake.completeExceptionally(new IllegalStateException("closed"));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                handshake.completeExceptionally(cause);
                                ctx.close();
                            }
                        });
                    }
                })
                .connect(address.getAddress(), address.getPort()).sync().channel();
        handshake.get(10, TimeUnit.SECONDS);
        return new WsClient(userId, ch, received, closeStatus);
    }

    void send(String type, String msgId, String to, String msg) {
        channel.writeAndFlush(Envelope.client(type, msgId, to, msg));
    }

    /** The next envelope, waiting at most {@code timeout}; fails the test if none came. */
    Envelope next(Duration timeout) throws InterruptedException {
        final Envelope e = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(e, userId + ": nothing received within " + timeout);
        return e;
    }

    Envelope next() throws InterruptedException {
        return next(Duration.ofSeconds(10));
    }

    /** The next envelope of {@code type}, skipping others. */
    Envelope nextOfType(String type, Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            final long left = deadline - System.nanoTime();
            final Envelope e = received.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            assertNotNull(e, userId + ": no " + type + " within " + timeout);
            if (type.equals(e.type())) {
                return e;
            }
        }
    }

    /** Nothing is received within {@code quiet}. */
    Envelope poll(Duration quiet) throws InterruptedException {
        return received.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The close status the server sent, or -1 if the connection dropped without one. */
    CompletableFuture<Integer> closeStatus() {
        return closeStatus;
    }

    boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
