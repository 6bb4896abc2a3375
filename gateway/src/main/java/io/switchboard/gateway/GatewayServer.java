package io.switchboard.gateway;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.switchboard.gateway.chat.ChatService;
import io.switchboard.gateway.chat.InMemoryMatchService;
import io.switchboard.gateway.chat.LocalRouter;
import io.switchboard.gateway.chat.OfflineStore;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.CounterGatewayMetrics;
import io.switchboard.gateway.pipeline.ConnectionLimitHandler;
import io.switchboard.gateway.pipeline.GatewayChannelInitializer;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.gateway.session.ShardedSessionRegistry;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.json.EnvelopeJson;
import io.switchboard.protocol.netty.CloseCodes;
import io.switchboard.protocol.validate.EnvelopeValidator;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Switchboard gateway: the WebSocket and HTTP listener with everything behind it. Wires the components
 * together, binds on {@link #start()}, and drains gracefully on {@link #close()}: stop accepting, close every session
 * with 1001, wait (bounded) for the closes, then stop the event loops.
 *
 * <pre>{@code
 * try (GatewayServer server = new GatewayServer(GatewayConfig.builder().port(0).build()).start()) {
 *     InetSocketAddress address = server.localAddress();
 *     ...
 * }
 * }</pre>
 */
public final class GatewayServer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(GatewayServer.class);
    private static final long OFFLINE_SWEEP_SECONDS = 30;

    private final GatewayConfig config;
    private final GatewayResources resources;
    private final CounterGatewayMetrics metrics = new CounterGatewayMetrics();
    private final ShardedSessionRegistry registry;
    private final InMemoryMatchService matches;
    private final OfflineStore offline;
    private final LocalRouter router;
    private final ChatService chat;
    private final ChannelGroup allChannels;
    private final ConnectionLimitHandler connectionLimit;
    private final GatewayChannelInitializer initializer;
    private volatile Channel serverChannel;
    private volatile boolean draining;

    /** A gateway with the system clock. Nothing is bound until {@link #start()}. */
    public GatewayServer(GatewayConfig config) {
        this(config, Clock.systemUTC());
    }

    GatewayServer(GatewayConfig config, Clock clock) {
        this.config = requireNonNull(config, "config");
        resources = new GatewayResources(config.server());
        final EnvelopeJson json = EnvelopeJson.create();
        final Envelopes envelopes = new Envelopes(clock);
        registry = new ShardedSessionRegistry(config.registry().shards(), config.registry().initialCapacityPerShard());
        matches = new InMemoryMatchService(config.chat().agentCapacity());
        offline = new OfflineStore(registry, metrics, config.offline().maxPerUser(), config.offline().maxTotal(),
                                   config.offline().ttl().toNanos(), System::nanoTime);
        router = new LocalRouter(registry, offline, metrics, config.chat().slowConsumerTimeout().toNanos());
        chat = new ChatService(registry, matches, router, offline, envelopes,
                               new EnvelopeValidator(config.webSocket().maxMessageChars()), metrics,
                               config.chat().reconnectGrace());
        allChannels = new DefaultChannelGroup("switchboard", resources.bossGroup().next());
        connectionLimit = new ConnectionLimitHandler(config.server().maxConnections(), metrics);
        final DashboardStats dashboardStats = new DashboardStats(registry, matches, offline, chat, metrics, clock);
        // Always true until the gateway has an API key; then the dashboard is checked like the API (docs/DASHBOARD.md).
        final Predicate<HttpRequest> dashboardAuthorized = request -> true;
        initializer = new GatewayChannelInitializer(config, chat, router, json, metrics, allChannels, clock,
                                                    this::isReady, this::healthJson,
                                                    dashboardStats, dashboardAuthorized);
    }

    /**
     * Binds the listener. Blocks the calling thread (never an event loop) until bound.
     *
     * @throws IllegalStateException if the address cannot be bound
     */
    public GatewayServer start() throws InterruptedException {
        final GatewayConfig.Server server = config.server();
        final ServerBootstrap bootstrap = new ServerBootstrap()
                .group(resources.bossGroup(), resources.ioGroup())
                .channel(resources.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, server.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(connectionLimit)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                             new WriteBufferWaterMark(server.writeBufferLowBytes(), server.writeBufferHighBytes()))
                .childHandler(initializer);
        try {
            serverChannel = bootstrap.bind(server.host(), server.port()).sync().channel();
        } catch (Exception e) {
            resources.shutdown(config.server().shutdownTimeout());
            throw new IllegalStateException("cannot listen on " + server.host() + ':' + server.port() + ": " + e, e);
        }
        offlineSweeper();
        logger.info("Switchboard listening on {} ({}, {} io threads), WebSocket path {}/{userId}",
                    localAddress(), resources.transportName(), resources.ioThreads(),
                    config.webSocket().path());
        return this;
    }

    private void offlineSweeper() {
        resources.ioGroup().next().scheduleAtFixedRate(offline::sweep, OFFLINE_SWEEP_SECONDS, OFFLINE_SWEEP_SECONDS,
                                                       TimeUnit.SECONDS);
    }

    /** The bound address; with port 0 this tells which port was picked. */
    public InetSocketAddress localAddress() {
        final Channel ch = serverChannel;
        if (ch == null) {
            throw new IllegalStateException("not started");
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /** Whether the gateway accepts traffic: bound and not draining. */
    public boolean isReady() {
        final Channel ch = serverChannel;
        return ch != null && ch.isActive() && !draining;
    }

    /**
     * Drains and stops: stops accepting, closes every session with 1001 and every other connection, waits up to
     * {@code shutdown-timeout} for them, then stops the event loops. Idempotent; blocks the calling thread.
     */
    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            if (draining) {
                return;
            }
            draining = true;
        }
        final long start = System.nanoTime();
        final Channel ch = serverChannel;
        if (ch != null) {
            ch.close().await(config.server().shutdownTimeout().toMillis());
        }
        // A connection accepted just before the listener closed may still be registering on its I/O loop, and joins
        // allChannels only then. Let those registrations run first, or such a connection would be missed below and
        // held open until the shutdown timeout.
        for (EventExecutor loop : resources.ioGroup()) {
            loop.submit(() -> { }).await(config.server().shutdownTimeout().toMillis());
        }
        final int open = allChannels.size();
        for (Channel c : allChannels) {
            if (GatewayChannelInitializer.isWebSocket(c)) {
                c.writeAndFlush(new CloseWebSocketFrame(CloseCodes.GOING_AWAY, "server shutting down"))
                 .addListener(ChannelFutureListener.CLOSE);
            } else {
                c.close();
            }
        }
        final boolean closed = allChannels.newCloseFuture().await(config.server().shutdownTimeout().toMillis());
        if (!closed) {
            logger.warn("Shutdown timeout: {} connections still open, closing them", allChannels.size());
            allChannels.close().await(1000);
        }
        resources.shutdown(config.server().shutdownTimeout());
        logger.info("Switchboard stopped: drained {} connections in {} ms", open,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private String healthJson() {
        return "{\"status\":\"UP\",\"connections\":" + registry.size()
               + ",\"users\":" + registry.count(Role.USER) + ",\"agents\":" + registry.count(Role.AGENT)
               + ",\"pairings\":" + matches.pairings() + ",\"offlineHeld\":" + offline.size()
               + ",\"draining\":" + draining + '}';
    }

    /** The configuration this gateway runs with. */
    public GatewayConfig config() {
        return config;
    }

    /** The gateway's counters. */
    public CounterGatewayMetrics metrics() {
        return metrics;
    }

    /** The live sessions. */
    public SessionRegistry registry() {
        return registry;
    }

    /** The pairings. */
    public InMemoryMatchService matches() {
        return matches;
    }

    /** The offline hold. */
    public OfflineStore offline() {
        return offline;
    }
}
