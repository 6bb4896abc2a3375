package io.switchboard.loadtest.client;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.MessageType;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A small WebSocket chat client for tests and tools, built on the load tester's pipeline
 * ({@link ClientChannelInitializer}). Received envelopes are queued; a caller either drains {@link #received()} or
 * asks for the {@link #next(String) next envelope of a type}.
 *
 * <pre>{@code
 * ChatClient user = ChatClient.connect(group, URI.create("ws://127.0.0.1:8080/pinter/imserver/u1")).get(5, SECONDS);
 * user.send(Envelope.client("match", null, "system", null));
 * Envelope match = user.next("match").get(5, SECONDS);
 * }</pre>
 *
 * <p>Thread-safe. Never blocks an event loop: the futures complete on the connection's loop, so callers that wait
 * on them must not be on a loop themselves.
 */
public final class ChatClient implements AutoCloseable {

    private final Channel channel;
    private final Listener listener;

    private ChatClient(Channel channel, Listener listener) {
        this.channel = channel;
        this.listener = listener;
    }

    /** Connects with default options; see {@link #connect(EventLoopGroup, URI, ClientOptions, InetSocketAddress)}. */
    public static CompletableFuture<ChatClient> connect(EventLoopGroup group, URI uri) {
        return connect(group, uri, ClientOptions.defaults(), null);
    }

    /**
     * Connects to {@code uri} ({@code ws://host:port/pinter/imserver/{userId}[?role=agent]}).
     *
     * @param group   the caller's (shared) event-loop group
     * @param options client settings
     * @param local   source address to bind, or {@code null}
     * @return completed when the handshake completes; failed with the cause otherwise (for an HTTP rejection, a
     *         {@code WebSocketClientHandshakeException} whose {@code response()} holds the status)
     */
    public static CompletableFuture<ChatClient> connect(EventLoopGroup group, URI uri, ClientOptions options,
                                                        InetSocketAddress local) {
        final Listener listener = new Listener();
        final ClientConnector connector = new ClientConnector(group, ClientResources.channelClassFor(group), options);
        return connector.connect(uri, local, listener).thenApply(ch -> new ChatClient(ch, listener));
    }

    /** Sends {@code envelope}; the future completes when it is written to the socket. */
    public CompletableFuture<Void> send(Envelope envelope) {
        requireNonNull(envelope, "envelope");
        final CompletableFuture<Void> written = new CompletableFuture<>();
        channel.writeAndFlush(envelope).addListener(f -> {
            if (f.isSuccess()) {
                written.complete(null);
            } else {
                written.completeExceptionally(f.cause());
            }
        });
        return written;
    }

    /**
     * Every envelope received and not yet taken by {@link #next(String)}, oldest first. Take from here or use
     * {@code next}, not both for the same type at the same time.
     */
    public BlockingQueue<Envelope> received() {
        return listener.received;
    }

    /** The next envelope of {@code type} (wire name): the oldest queued one, or the next to arrive. */
    public CompletableFuture<Envelope> next(String type) {
        requireNonNull(type, "type");
        final CompletableFuture<Envelope> f = new CompletableFuture<>();
        synchronized (listener) {
            for (Iterator<Envelope> it = listener.received.iterator(); it.hasNext(); ) {
                final Envelope e = it.next();
                if (type.equals(e.type())) {
                    it.remove();
                    f.complete(e);
                    return f;
                }
            }
            if (listener.status != null) {
                f.completeExceptionally(new IllegalStateException("connection closed: " + listener.status));
                return f;
            }
            listener.waiters.add(new Waiter(type, f));
        }
        return f;
    }

    /** The next envelope of {@code type}. */
    public CompletableFuture<Envelope> next(MessageType type) {
        return next(type.wireName());
    }

    /** Completes with how the connection ended (the server's close code and reason, if it sent a close frame). */
    public CompletableFuture<CloseStatus> closeFuture() {
        return listener.closed;
    }

    /** The underlying channel (for tests that need to write raw frames). */
    public Channel channel() {
        return channel;
    }

    /** Closes with status 1000; does not wait. Use {@link #closeFuture()} to wait. */
    @Override
    public void close() {
        ClientConnections.close(channel);
    }

    private record Waiter(String type, CompletableFuture<Envelope> future) {}

    private static final class Listener implements ClientListener {
        final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
        final Queue<Waiter> waiters = new ArrayDeque<>();
        final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();
        CloseStatus status;

        @Override
        public void onEnvelope(Channel channel, Envelope envelope) {
            Waiter matched = null;
            synchronized (this) {
                for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                    final Waiter w = it.next();
                    if (w.type.equals(envelope.type())) {
                        it.remove();
                        matched = w;
                        break;
                    }
                }
                if (matched == null) {
                    received.add(envelope);
                }
            }
            if (matched != null) {
                matched.future.complete(envelope);
            }
        }

        @Override
        public void onClosed(Channel channel, CloseStatus s) {
            final Waiter[] pending;
            synchronized (this) {
                status = s;
                pending = waiters.toArray(new Waiter[0]);
                waiters.clear();
            }
            for (Waiter w : pending) {
                w.future.completeExceptionally(new IllegalStateException("connection closed: " + s));
            }
            closed.complete(s);
        }
    }
}
