package io.switchboard.loadtest.client;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * Opens WebSocket client connections on a shared event-loop group, optionally bound to a given source address.
 * Never blocks: {@link #connect} returns at once with a future of the completed handshake.
 *
 * <p>Thread-safe; one instance serves any number of connections.
 */
public final class ClientConnector {

    private final Bootstrap template;
    private final ClientOptions options;

    public ClientConnector(EventLoopGroup group, Class<? extends SocketChannel> channelClass, ClientOptions options) {
        this.options = requireNonNull(options, "options");
        template = new Bootstrap()
                .group(requireNonNull(group, "group"))
                .channel(requireNonNull(channelClass, "channelClass"))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout().toMillis());
    }

    /** A connector on {@code resources}' group and channel class. */
    public static ClientConnector of(ClientResources resources, ClientOptions options) {
        return new ClientConnector(resources.group(), resources.channelClass(), options);
    }

    /**
     * Starts a connection.
     *
     * @param uri      the full {@code ws://host:port/path/{userId}?query} URI
     * @param local    the source address to bind ({@code port 0}), or {@code null} for the system's choice
     * @param listener receives the connection's events; {@link ClientListener#onClosed} is called exactly once,
     *                 also when the TCP connect fails
     * @return completed with the channel when the handshake completes, or exceptionally when the connection fails
     *         or closes before that
     */
    public CompletableFuture<Channel> connect(URI uri, InetSocketAddress local, ClientListener listener) {
        return connect(uri, local, listener, null);
    }

    /**
     * {@link #connect(URI, InetSocketAddress, ClientListener)} on a given event loop of the group, or on the
     * group's next one for {@code null}: a reconnect stays on its listener's loop, which confines the listener.
     */
    public CompletableFuture<Channel> connect(URI uri, InetSocketAddress local, ClientListener listener,
                                              EventLoop loop) {
        final CompletableFuture<Channel> established = new CompletableFuture<>();
        final Bootstrap b = (loop == null ? template.clone() : template.clone(loop))
                .handler(new ClientChannelInitializer(options, uri, listener, established));
        final InetSocketAddress remote = InetSocketAddress.createUnresolved(uri.getHost(), port(uri));
        final ChannelFuture f = local == null ? b.connect(remote) : b.connect(remote, local);
        f.addListener((ChannelFuture cf) -> {
            if (!cf.isSuccess()) {
                final ClientHandler h = cf.channel().pipeline().get(ClientHandler.class);
                if (h != null) {
                    h.connectFailed(cf.cause());
                } else {
                    // Registration failed before the initializer ran: nobody else will report it.
                    established.completeExceptionally(cf.cause());
                    listener.onClosed(cf.channel(), new CloseStatus(false, CloseStatus.NO_CODE, "",
                            FailureCauses.classify(cf.cause()), cf.cause(), false));
                }
            }
        });
        return established;
    }

    /** The URI's port, or the scheme's default. */
    static int port(URI uri) {
        if (uri.getPort() > 0) {
            return uri.getPort();
        }
        return "wss".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
