package io.switchboard.gateway.testing;

import static java.util.Objects.requireNonNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.netty.EnvelopeFrameCodec;
import io.switchboard.protocol.netty.InboundFrame;
import java.net.URI;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * A WebSocket test client built from Netty's own client handlers and the protocol module's
 * {@link EnvelopeFrameCodec}, so the wire codec is exercised from both sides:
 * <pre>
 *   http-codec → http-aggregator → ping-tap → ws-protocol → ws-aggregator → frame-codec → client
 * </pre>
 * ({@code ws-protocol} swaps {@code http-codec} for Netty's frame encoder and decoder once upgraded.)
 *
 * <p>Received envelopes queue up for {@link #next(Duration)}. A server message that is not a valid envelope (a
 * number where a string belongs, trailing bytes, ...) fails the test at {@code next}, so every received message is
 * checked against the strict codec. Close frames are not handled by Netty ({@code handleCloseFrames(false)}): this
 * client records the server's status code and reason exactly ({@link #closeFuture()}), echoes the code and closes.
 *
 * <pre>{@code
 * try (WsTestClient admin = WsTestClient.connect(clients, gateway.user("admin"))) {
 *     admin.send(Envelope.client("match", "1", "system", null));
 *     Envelope matched = admin.next("match", WsTestClient.TIMEOUT);
 * }
 * }</pre>
 *
 * <p>Thread-safe: tests call it from their own thread; the Netty side runs on the factory's event loops.
 */
public final class WsTestClient implements AutoCloseable {

    /** A generous default for awaiting what should arrive promptly. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** Largest frame and message this client accepts from the server. */
    private static final int MAX_INBOUND_BYTES = 1 << 20;

    /** Connection options; {@link #defaults()} gives a well-behaved client. */
    public static final class Options {
        private final HttpHeaders headers = new DefaultHttpHeaders();
        private boolean answerPings = true;
        private SslContext tls;

        private Options() {}

        public static Options defaults() {
            return new Options();
        }

        /** An extra header on the upgrade request (e.g. {@code Authorization}). */
        public Options header(CharSequence name, Object value) {
            headers.add(name, value);
            return this;
        }

        /** The TLS client context of a {@code wss://} URI (what it trusts). */
        public Options tls(SslContext context) {
            tls = context;
            return this;
        }

        /**
         * Whether to answer the server's WebSocket pings with pongs (default). A client that does not answer still
         * records them ({@link #awaitPing}); it looks dead to the server.
         */
        public Options answerPings(boolean answer) {
            answerPings = answer;
            return this;
        }
    }

    private final Channel channel;
    private final LinkedBlockingDeque<InboundFrame> received = new LinkedBlockingDeque<>();
    private final BlockingQueue<Boolean> pings = new LinkedBlockingQueue<>();
    private final CompletableFuture<WsTestClient> handshake = new CompletableFuture<>();
    private final CompletableFuture<CloseStatus> closeFuture = new CompletableFuture<>();

    private WsTestClient(WsTestClients clients, URI uri, Options options) {
        final WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .customHeaders(options.headers)
                .handleCloseFrames(false)                        // let the test see the server's close frame
                .sendCloseFrame(WebSocketCloseStatus.NORMAL_CLOSURE)
                .dropPongFrames(true)
                .maxFramePayloadLength(MAX_INBOUND_BYTES)
                .handshakeTimeoutMillis(TIMEOUT.toMillis())
                .build();
        final boolean answerPings = options.answerPings;
        final boolean secure = "wss".equalsIgnoreCase(uri.getScheme());
        if (secure && options.tls == null) {
            throw new IllegalArgumentException(uri + ": a wss:// URI needs Options.tls(...)");
        }
        final ChannelFuture connect = new Bootstrap()
                .group(clients.group())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) TIMEOUT.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        final ChannelPipeline p = ch.pipeline();
                        if (secure) {
                            p.addLast("tls", options.tls.newHandler(ch.alloc(), uri.getHost(), uri.getPort()));
                        }
                        p.addLast("http-codec", new HttpClientCodec());
                        p.addLast("http-aggregator", new HttpObjectAggregator(64 * 1024));
                        p.addLast("ping-tap", new PingTap(answerPings));
                        p.addLast("ws-protocol", new WebSocketClientProtocolHandler(config));
                        p.addLast("ws-aggregator", new WebSocketFrameAggregator(MAX_INBOUND_BYTES));
                        p.addLast("frame-codec", new EnvelopeFrameCodec(clients.json()));
                        p.addLast("client", new ClientHandler());
                    }
                })
                .connect(uri.getHost(), uri.getPort());
        channel = connect.channel();
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                handshake.completeExceptionally(f.cause());
                closeFuture.complete(CloseStatus.abnormal());
            }
        });
    }

    /** Connects and waits for the upgrade; see {@link #connect(WsTestClients, URI, Options)}. */
    public static WsTestClient connect(WsTestClients clients, URI uri) {
        return connect(clients, uri, Options.defaults());
    }

    /**
     * Connects and waits (at most {@link #TIMEOUT}) for {@code HANDSHAKE_COMPLETE}.
     *
     * @throws HandshakeRejected if the server answered the upgrade with an HTTP status other than 101
     */
    public static WsTestClient connect(WsTestClients clients, URI uri, Options options) {
        try {
            final WsTestClient client =
                    connectAsync(clients, uri, options).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (uri.getQuery() != null && uri.getQuery().contains("role=agent")) {
                // The client sees the 101 as soon as the server flushed it, possibly before the server ran its session
                // start; only then is the agent matchable. A ping round trip proves the start ran (the server starts a
                // session at the latest on its first message), so a test may match against it right away.
                client.awaitPongKeepingTheRest(uri);
            }
            return client;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HandshakeRejected) {
                throw (HandshakeRejected) e.getCause();
            }
            throw new AssertionError("WebSocket connect to " + uri + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("WebSocket connect to " + uri + " did not complete within " + TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Starts connecting; the future completes on {@code HANDSHAKE_COMPLETE} or fails ({@link HandshakeRejected}). */
    public static CompletableFuture<WsTestClient> connectAsync(WsTestClients clients, URI uri, Options options) {
        final WsTestClient client = new WsTestClient(clients, requireNonNull(uri, "uri"), options);
        client.handshake.whenComplete((c, e) -> {
            if (e != null) {
                client.abort();
            }
        });
        return client.handshake;
    }

    /** The certificate the server presented (leaf first); fails unless this is a {@code wss://} connection. */
    public Certificate[] peerCertificates() {
        final SslHandler tls = channel.pipeline().get(SslHandler.class);
        if (tls == null) {
            return fail("not a TLS connection");
        }
        try {
            return tls.engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return fail("no peer certificate: " + e);
        }
    }

    /** Sends an envelope through the protocol codec. Does not wait; the future tells whether it was written. */
    public ChannelFuture send(Envelope envelope) {
        return channel.writeAndFlush(requireNonNull(envelope, "envelope"));
    }

    /** Sends {@code text} as one text frame, whatever it is (garbage JSON, wrong types, ...). */
    public ChannelFuture sendText(String text) {
        return channel.writeAndFlush(new TextWebSocketFrame(text));
    }

    /**
     * Sends any frame as is (masked by Netty's encoder): binary, fragments, invalid UTF-8. For what Netty's encoder
     * refuses or always does right (unmasked frames, reserved bits, oversized control frames), use {@link RawSocket}.
     */
    public ChannelFuture sendRaw(WebSocketFrame frame) {
        return channel.writeAndFlush(requireNonNull(frame, "frame"));
    }

    /**
     * Sends a ping and waits for its pong. Messages the server sent first (held messages, a match notice) stay
     * queued, in order, for the test to read.
     */
    private void awaitPongKeepingTheRest(URI uri) throws InterruptedException {
        send(Envelope.client("ping", null, null, null));
        final List<InboundFrame> ahead = new ArrayList<>();
        final long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            final InboundFrame frame = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (frame == null) {
                throw new AssertionError("no pong within " + TIMEOUT + " after connecting " + uri);
            }
            if (frame.isValid() && "pong".equals(frame.envelope().type())) {
                break;
            }
            ahead.add(frame);
        }
        for (int i = ahead.size() - 1; i >= 0; i--) {
            received.addFirst(ahead.get(i));
        }
    }

    /** The next message, waiting at most {@code timeout}; fails the test on timeout or an invalid message. */
    public Envelope next(Duration timeout) {
        final InboundFrame frame;
        try {
            frame = received.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        if (frame == null) {
            return fail("no message within " + timeout.toMillis() + " ms"
                        + (closeFuture.isDone() ? "; connection closed with " + closeFuture.join() : ""));
        }
        if (!frame.isValid()) {
            return fail("the server sent a message that is not a valid envelope: " + frame.problem());
        }
        return frame.envelope();
    }

    /** The next message, which must be of {@code type} (nothing is skipped). */
    public Envelope next(String type, Duration timeout) {
        final Envelope envelope = next(timeout);
        assertEquals(type, envelope.type(), () -> "expected a '" + type + "' message, got " + envelope);
        return envelope;
    }

    /**
     * The next message of {@code type}, skipping (and dropping) valid messages of other types on the way; fails the
     * test if none comes within {@code timeout}. For tests where unrelated messages may come first.
     */
    public Envelope nextOfType(String type, Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            final Envelope envelope = next(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (type.equals(envelope.type())) {
                return envelope;
            }
        }
    }

    /** Asserts that nothing arrives for {@code quiet}. */
    public void assertNoMessage(Duration quiet) {
        final InboundFrame frame;
        try {
            frame = received.poll(quiet.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        if (frame != null) {
            fail("expected no message within " + quiet.toMillis() + " ms, got "
                 + (frame.isValid() ? frame.envelope() : frame));
        }
    }

    /** Waits for a WebSocket ping from the server (counted whether or not this client answers it). */
    public void awaitPing(Duration timeout) {
        try {
            if (pings.poll(timeout.toNanos(), TimeUnit.NANOSECONDS) == null) {
                fail("no WebSocket ping within " + timeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Completes when the connection is gone: with the status code and reason of the server's close frame, or 1006
     * if it closed without one (including after this client's own {@link #close()}).
     */
    public CompletableFuture<CloseStatus> closeFuture() {
        return closeFuture;
    }

    /** Waits for the connection to end and returns how; fails the test if it is still open after {@code timeout}. */
    public CloseStatus awaitClose(Duration timeout) {
        try {
            return closeFuture.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return fail("connection still open after " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Whether the TCP connection is open. */
    public boolean isOpen() {
        return channel.isActive();
    }

    /** The underlying channel, for what this class does not offer (e.g. pausing reads). */
    public Channel channel() {
        return channel;
    }

    /** Drops the TCP connection without a close frame, like a client that crashed or lost its network. */
    public void abort() {
        // From the first context, so ws-protocol's close (which would send a close frame) is skipped.
        if (channel.pipeline().firstContext() != null) {
            channel.pipeline().firstContext().close();
        } else {
            channel.close();
        }
        channel.closeFuture().awaitUninterruptibly(TIMEOUT.toMillis());
    }

    /** Closes cleanly (close frame 1000, then the socket) and waits for the socket to close. Idempotent. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(TIMEOUT.toMillis());
    }

    @Override
    public String toString() {
        return "WsTestClient(" + channel + ')';
    }

    /** Sees every frame after Netty's decoder: records pings and, for a client that plays dead, swallows them. */
    private final class PingTap extends ChannelInboundHandlerAdapter {
        private final boolean answerPings;

        PingTap(boolean answerPings) {
            this.answerPings = answerPings;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof PingWebSocketFrame) {
                pings.add(Boolean.TRUE);
                if (!answerPings) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** The end of the pipeline: queues envelopes, records the close, completes the handshake. */
    private final class ClientHandler extends ChannelInboundHandlerAdapter {

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                handshake.complete(WsTestClient.this);
            } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                handshake.completeExceptionally(new AssertionError("WebSocket handshake timed out"));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof InboundFrame) {
                    received.add((InboundFrame) msg);
                } else if (msg instanceof CloseWebSocketFrame) {
                    final CloseWebSocketFrame close = (CloseWebSocketFrame) msg;
                    // RFC 6455 §7.1.5: a close frame without a status means 1005.
                    final int code = close.statusCode() < 0 ? 1005 : close.statusCode();
                    closeFuture.complete(new CloseStatus(code, close.statusCode() < 0 ? "" : close.reasonText()));
                    // Echo the status (RFC 6455 §5.5.1); ws-protocol then closes the socket.
                    final CloseWebSocketFrame echo = code == 1005 || code == 1006 || code == 1015
                                                     ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, "");
                    ctx.channel().writeAndFlush(echo);
                    ctx.channel().close();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof WebSocketClientHandshakeException
                && ((WebSocketClientHandshakeException) cause).response() != null) {
                final var response = ((WebSocketClientHandshakeException) cause).response();
                handshake.completeExceptionally(new HandshakeRejected(response.status().code(),
                                                                      response.headers().copy()));
            } else {
                handshake.completeExceptionally(cause);
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeFuture.complete(CloseStatus.abnormal());
            handshake.completeExceptionally(new AssertionError("connection closed before the WebSocket upgrade"));
            ctx.fireChannelInactive();
        }
    }
}
