package io.switchboard.gateway;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.switchboard.gateway.config.GatewayConfig;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Owns the heavy, shared resources of one gateway: the acceptor and I/O event-loop groups (threads {@code sb-boss}
 * and {@code sb-io-N}) and the transport: native epoll on Linux when available, NIO elsewhere.
 */
final class GatewayResources implements AutoCloseable {

    private final boolean epoll;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup ioGroup;

    GatewayResources(GatewayConfig.Server server) {
        epoll = Epoll.isAvailable();
        bossGroup = new MultiThreadIoEventLoopGroup(1, threads("sb-boss", false), ioHandlerFactory());
        // One event loop per core by default: measured cheaper per routed message than Netty's 2 x cores, which adds
        // cross-loop hops between loops sharing a core (docs/BENCHMARKS.md).
        final int ioThreads = server.ioThreads() > 0 ? server.ioThreads() : Runtime.getRuntime().availableProcessors();
        ioGroup = new MultiThreadIoEventLoopGroup(ioThreads, threads("sb-io-", true), ioHandlerFactory());
    }

    private IoHandlerFactory ioHandlerFactory() {
        return epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    private static ThreadFactory threads(String name, boolean numbered) {
        final AtomicInteger n = new AtomicInteger();
        return r -> {
            final Thread t = new FastThreadLocalThread(r, numbered ? name + n.incrementAndGet() : name);
            t.setDaemon(false);
            return t;
        };
    }

    EventLoopGroup bossGroup() {
        return bossGroup;
    }

    EventLoopGroup ioGroup() {
        return ioGroup;
    }

    /** The client socket channel of the same transport (webhook connections). */
    Class<? extends Channel> clientChannelClass() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    Class<? extends ServerChannel> serverChannelClass() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** The number of I/O event loops. */
    int ioThreads() {
        return ((io.netty.util.concurrent.MultithreadEventExecutorGroup) ioGroup).executorCount();
    }

    /** The transport in use, for the start-up log line. */
    String transportName() {
        return epoll ? "epoll" : "nio";
    }

    /**
     * Shuts the groups down, waiting at most {@code timeout} for each. The wait is bounded, so it is not cut short by
     * an interrupt; an interrupt that arrives meanwhile stays set on the calling thread (Netty's
     * {@code awaitUninterruptibly} restores it), for the caller to act on.
     */
    void shutdown(Duration timeout) {
        bossGroup.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        ioGroup.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        bossGroup.terminationFuture().awaitUninterruptibly(timeout.toMillis());
        ioGroup.terminationFuture().awaitUninterruptibly(timeout.toMillis());
    }

    /** {@link #shutdown(Duration)} with 5 s. */
    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
