package io.switchboard.loadtest.client;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.switchboard.protocol.netty.CloseCodes;
import io.switchboard.protocol.netty.EnvelopeFrameCodec;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * Builds one client connection's pipeline:
 * <pre>
 * [tls →] http-codec → http-aggregator → ws-protocol → ws-aggregator → frame-codec → client
 * </pre>
 * Netty's {@link WebSocketClientProtocolHandler} does the RFC 6455 handshake (and removes the HTTP handlers once it
 * is done), answers pings and drops pongs; close frames are passed on so that {@link ClientHandler} can record the
 * server's status code. {@link EnvelopeFrameCodec} is the same codec the gateway uses, so the client speaks the
 * exact wire format of {@code PROTOCOL.md}.
 *
 * <p>One instance per connection: the URI and the listener are the connection's.
 */
public final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    /** Handler names, in pipeline order ({@code tls} only for {@code wss://}). */
    public static final String TLS = "tls";
    public static final String HTTP_CODEC = "http-codec";
    public static final String HTTP_AGGREGATOR = "http-aggregator";
    public static final String WS_PROTOCOL = "ws-protocol";
    public static final String WS_AGGREGATOR = "ws-aggregator";
    public static final String FRAME_CODEC = "frame-codec";
    public static final String CLIENT = "client";

    /** The handshake response carries no body worth keeping; this bounds what a misbehaving server can send. */
    private static final int MAX_HANDSHAKE_RESPONSE_BYTES = 8192;

    private final ClientOptions options;
    private final URI uri;
    private final ClientListener listener;
    private final CompletableFuture<Channel> established;

    /**
     * @param options     shared client settings
     * @param uri         the full {@code ws://} URI of this connection, userId and query included
     * @param listener    receives the connection's events on its event loop
     * @param established completed with the channel on handshake completion, or exceptionally when the connection
     *                    fails or closes before that
     */
    public ClientChannelInitializer(ClientOptions options, URI uri, ClientListener listener,
                                    CompletableFuture<Channel> established) {
        this.options = requireNonNull(options, "options");
        this.uri = requireNonNull(uri, "uri");
        this.listener = requireNonNull(listener, "listener");
        this.established = requireNonNull(established, "established");
    }

    @Override
    protected void initChannel(Channel ch) {
        final ChannelPipeline p = ch.pipeline();
        if ("wss".equalsIgnoreCase(uri.getScheme())) {
            if (options.tls() == null) {
                throw new IllegalStateException(uri + ": wss:// without a TLS client context");
            }
            // The host and port name the server for SNI and for host name verification.
            p.addLast(TLS, options.tls().newHandler(ch.alloc(), uri.getHost(), ClientConnector.port(uri)));
        }
        p.addLast(HTTP_CODEC, new HttpClientCodec());
        p.addLast(HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_HANDSHAKE_RESPONSE_BYTES));
        p.addLast(WS_PROTOCOL, new WebSocketClientProtocolHandler(protocolConfig()));
        p.addLast(WS_AGGREGATOR, new WebSocketFrameAggregator(options.maxMessageBytes()));
        p.addLast(FRAME_CODEC, new EnvelopeFrameCodec(options.json()));
        p.addLast(CLIENT, new ClientHandler(listener, established));
    }

    private WebSocketClientProtocolConfig protocolConfig() {
        return WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .maxFramePayloadLength(options.maxMessageBytes())
                .handshakeTimeoutMillis(options.handshakeTimeout().toMillis())
                // Pass close frames on: the scenario reports "closed by server with code N".
                .handleCloseFrames(false)
                .sendCloseFrame(CloseCodes.NORMAL)
                .forceCloseTimeoutMillis(1000)
                .dropPongFrames(true)
                .build();
    }
}
