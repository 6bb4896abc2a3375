package io.switchboard.loadtest.client;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one event-loop group a load-tester process uses for all its connections, and the matching channel class:
 * epoll when the native transport is available, NIO otherwise. Threads are named {@code lt-io-N}.
 *
 * <p>Create one per process and close it last; thread-safe.
 */
public final class ClientResources implements AutoCloseable {

    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    private final boolean epoll;

    private ClientResources(EventLoopGroup group, Class<? extends SocketChannel> channelClass, boolean epoll) {
        this.group = group;
        this.channelClass = channelClass;
        this.epoll = epoll;
    }

    /**
     * @param threads event-loop threads; 0 means Netty's default (2 × cores)
     */
    public static ClientResources create(int threads) {
        final boolean epoll = Epoll.isAvailable();
        final IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new LoopThreadFactory(), io);
        return new ClientResources(group, epoll ? EpollSocketChannel.class : NioSocketChannel.class, epoll);
    }

    /**
     * The socket channel class that can run on {@code group}: epoll's when the group's loops are epoll loops, NIO's
     * otherwise. Lets callers that were handed a group (tests, tools) pick the right class.
     */
    public static Class<? extends SocketChannel> channelClassFor(EventLoopGroup group) {
        if (group instanceof IoEventLoopGroup && ((IoEventLoopGroup) group).isIoType(EpollIoHandler.class)) {
            return EpollSocketChannel.class;
        }
        return NioSocketChannel.class;
    }

    public EventLoopGroup group() {
        return group;
    }

    public Class<? extends SocketChannel> channelClass() {
        return channelClass;
    }

    /** Whether the native epoll transport is in use. */
    public boolean isEpoll() {
        return epoll;
    }

    /** Shuts the group down, waiting a bounded time. Restores the interrupt flag if interrupted. */
    @Override
    public void close() {
        try {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class LoopThreadFactory implements ThreadFactory {
        private final AtomicInteger ids = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            final Thread t = new FastThreadLocalThread(r, "lt-io-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
