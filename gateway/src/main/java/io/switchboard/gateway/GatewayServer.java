package io.switchboard.gateway;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.PlatformDependent;
import io.switchboard.gateway.api.ApiChannelInitializer;
import io.switchboard.gateway.api.ApiKey;
import io.switchboard.gateway.auth.HandshakePolicy;
import io.switchboard.gateway.auth.JwtTokenVerifier;
import io.switchboard.gateway.chat.AckLogs;
import io.switchboard.gateway.chat.ChatEvents;
import io.switchboard.gateway.chat.ChatRules;
import io.switchboard.gateway.chat.ChatStore;
import io.switchboard.gateway.chat.History;
import io.switchboard.gateway.chat.InMemoryMatchService;
import io.switchboard.gateway.chat.LocalDelivery;
import io.switchboard.gateway.chat.LocalResends;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.MemoryHistory;
import io.switchboard.gateway.chat.MemoryHold;
import io.switchboard.gateway.chat.Presence;
import io.switchboard.gateway.chat.QueueNotices;
import io.switchboard.gateway.chat.Replacement;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.chat.SessionLifecycle;
import io.switchboard.gateway.chat.Stages;
import io.switchboard.gateway.cluster.GatewayCluster;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.http.OpsEndpoints;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.metrics.PrometheusMetrics;
import io.switchboard.gateway.ops.DashboardStats;
import io.switchboard.gateway.ops.GatewayStatus;
import io.switchboard.gateway.pipeline.ConnectionLimitHandler;
import io.switchboard.gateway.pipeline.GatewayChannelInitializer;
import io.switchboard.gateway.pipeline.IdleSweeper;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.gateway.session.ShardedSessionRegistry;
import io.switchboard.gateway.store.FileChatStore;
import io.switchboard.gateway.tls.ServerTls;
import io.switchboard.gateway.webhook.WebhookDispatcher;
import io.switchboard.gateway.webhook.WebhookOutbox;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.json.EnvelopeJson;
import io.switchboard.protocol.netty.CloseCodes;
import io.switchboard.protocol.validate.EnvelopeValidator;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
    /** Changes waiting for the data store's writer; past it a promise is refused ({@code UNAVAILABLE}). */
    private static final int STORE_QUEUE_CAPACITY = 65_536;
    /** MsgIds remembered per acknowledging sender within the dedup window. */
    private static final int MAX_REMEMBERED_PER_USER = 1024;

    private final GatewayConfig config;
    private final GatewayResources resources;
    private final PrometheusMetrics prometheus;
    private final JwtTokenVerifier verifier;
    private final WebhookDispatcher webhooks;
    private final ApiChannelInitializer apiInitializer;
    private final ServerTls tls;
    private volatile Channel apiChannel;
    private final ShardedSessionRegistry registry;
    private final MatchService matches;
    private final MemoryHold offline;
    private final ChatStore store;
    private final AckLogs acks;
    private final LocalResends resends;
    private final GatewayCluster cluster;
    private final SessionLifecycle lifecycle;
    private final History history;
    private final LocalDelivery delivery;
    private final ThreadPoolExecutor notices;
    private final ChannelGroup allChannels;
    private final ConnectionLimitHandler connectionLimit;
    private final int maxConnections;
    private final GatewayChannelInitializer initializer;
    private volatile Channel serverChannel;
    private volatile boolean draining;

    /** A gateway with the system clock. Nothing is bound until {@link #start()}. */
    public GatewayServer(GatewayConfig config) {
        this(config, Clock.systemUTC());
    }

    GatewayServer(GatewayConfig config, Clock clock) {
        this.config = requireNonNull(config, "config");
        // Before any thread is started: a bad key file fails here without leaking event loops.
        verifier = config.auth().enabled() ? JwtTokenVerifier.create(config.auth(), clock, () -> {}) : null;
        tls = config.tls().enabled() ? new ServerTls(config.tls(), config.webSocket().handshakeTimeout().toMillis())
                                     : null;
        final EnvelopeJson json = EnvelopeJson.create();
        final boolean clustered = config.cluster().mode() == GatewayConfig.Cluster.Mode.REDIS;
        // Cluster nodes keep what must survive in Redis; one gateway keeps it in its data directory.
        store = clustered || !config.offline().durable()
                ? ChatStore.MEMORY
                : FileChatStore.open(Path.of(config.offline().dataDir()), json,
                                     config.offline().dataSync() == GatewayConfig.Offline.DataSync.ALWAYS
                                     ? FileChatStore.Sync.ALWAYS : FileChatStore.Sync.PERIODIC,
                                     STORE_QUEUE_CAPACITY);
        resources = new GatewayResources(config.server());
        // The pairing notices' own thread: they reach each connection as tasks of its loop, in the order told.
        // At most one drain is ever queued (InMemoryMatchService.tell), so a small queue is enough.
        notices = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(16), r -> {
            final Thread t = new Thread(r, "switchboard-notices");
            t.setDaemon(true);
            return t;
        });
        final Envelopes envelopes = new Envelopes(clock);
        registry = new ShardedSessionRegistry(config.registry().shards(), config.registry().initialCapacityPerShard());
        prometheus = new PrometheusMetrics(registry::count, resources.bossGroup(), resources.ioGroup());
        final GatewayMetrics metrics = prometheus.gateway();
        offline = new MemoryHold(metrics, store, config.offline().maxPerUser(), config.offline().maxTotal(),
                                 config.offline().ttl().toNanos(), System::nanoTime);
        final Replacement replacement = new Replacement(metrics);
        final Router router;
        final Presence presence;
        final ChatStore.Contents stored = store.load();
        final List<ChatStore.StoredWait> storedQueue = store.loadQueue();
        cluster = clustered ? new GatewayCluster(config, registry, offline, replacement, json, envelopes, metrics)
                            : null;
        // The webhook queues are an outbox in the same store as the chat state (docs/WEBHOOKS.md): the data file, or
        // Redis for a cluster node.
        final WebhookOutbox outbox = clustered ? cluster.webhookOutbox()
                                               : store instanceof FileChatStore file ? file.webhookOutbox()
                                                                                     : WebhookOutbox.NONE;
        webhooks = config.webhooks().enabled()
                   ? new WebhookDispatcher(config.webhooks(), resources.ioGroup(), resources.clientChannelClass(),
                                           metrics, clock, outbox)
                   : null;
        if (clustered) {
            acks = null;
            resends = null;
            delivery = cluster.local();
            matches = cluster.matches();
            router = cluster.router();
            presence = cluster.presence();
        } else {
            acks = new AckLogs(store, envelopes, metrics, config.offline().maxPerUser(), config.offline().maxTotal(),
                               config.offline().ttl().toMillis(), System::currentTimeMillis);
            resends = new LocalResends(store, config.offline().dedupWindow().toMillis(), MAX_REMEMBERED_PER_USER,
                                  System::currentTimeMillis);
            delivery = new LocalDelivery(registry, offline, acks, store, metrics,
                                         config.chat().slowConsumerTimeout().toNanos());
            final InMemoryMatchService local = new InMemoryMatchService(
                    config.chat().agentCapacity(), store, config.chat().queueMax(),
                    config.chat().queueTimeout().toMillis(), clock::millis, notices);
            offline.restore(stored.held());
            acks.restore(stored);
            resends.restore(stored.receipts());
            local.restore(stored.agentOfUser());
            local.restoreQueue(storedQueue);
            acks.noticesTo(delivery::deliver);
            acks.drawsFrom(offline);
            matches = local;
            router = delivery;
            presence = Presence.LOCAL;
        }
        metrics.ackGauges(() -> acks == null ? 0 : acks.size(),
                          () -> store instanceof FileChatStore file ? file.refused()
                                : cluster != null ? cluster.storeRefused() : 0);
        final ChatEvents events = webhooks == null ? ChatEvents.NONE : webhooks;
        history = clustered ? cluster.history() : historyOf(config.chat(), store, json, clock);
        matches.setQueueListener(new QueueNotices(router, envelopes, metrics, events, history));
        metrics.queueGauges(matches::waitingCount,
                            status -> matches.agentsByStatus().getOrDefault(status, 0));
        lifecycle = new SessionLifecycle(registry, matches, router, presence, delivery, replacement, envelopes, metrics,
                                         events, config.chat().reconnectGrace(), acks, history);
        if (store.durable()) {
            lifecycle.restored(stored.agentOfUser(), storedQueue.stream().map(ChatStore.StoredWait::userId).toList(),
                               resources.ioGroup().next());
            logger.info("Data directory {}: {} held messages, {} pairings, {} waiting users, {} unacknowledged "
                        + "deliveries restored", config.offline().dataDir(), stored.held().size(),
                        stored.agentOfUser().size(), storedQueue.size(), stored.deliveries().size());
        }
        final ChatRules rules = new ChatRules(matches, router, envelopes,
                                              new EnvelopeValidator(config.webSocket().maxMessageChars()), metrics,
                                              events, clustered ? cluster.acknowledgements() : acks,
                                              clustered ? cluster.resends() : resends, history);
        allChannels = new DefaultChannelGroup("switchboard", resources.bossGroup().next());
        final long fileLimit = OpenFiles.limit();
        maxConnections = config.server().effectiveMaxConnections(fileLimit);
        connectionLimit = new ConnectionLimitHandler(maxConnections, metrics);
        if (config.server().maxConnections() == GatewayConfig.Server.MAX_CONNECTIONS_AUTO) {
            logger.info("max-connections {} (open-files limit {})", maxConnections, fileLimit);
        } else if (fileLimit > 0 && maxConnections > fileLimit - GatewayConfig.Server.MIN_FD_HEADROOM) {
            logger.warn("max-connections {} is above what the open-files limit {} allows: at that limit accepts "
                        + "fail and /healthz stops answering; raise the limit or lower max-connections",
                        maxConnections, fileLimit);
        }
        final GatewayStatus status = new GatewayStatus(registry, matches, offline, lifecycle, metrics,
                                                       () -> webhooks == null ? 0 : webhooks.queued(),
                                                       this::listening, () -> draining);
        final OpsEndpoints ops = new OpsEndpoints(status::isReady, status::healthJson, prometheus::scrape);
        // Without a key the dashboard's figures are public on the main port: counts only, no agent ids.
        final DashboardStats dashboardStats = new DashboardStats(registry, matches, offline, lifecycle, metrics, clock,
                                                                 !config.api().apiKey().isEmpty());
        // The dashboard's figures are protected like the server-side API (docs/DASHBOARD.md).
        final ApiKey apiKey = new ApiKey(config.api().apiKey());
        initializer = new GatewayChannelInitializer(config, lifecycle, rules, delivery, json, metrics, allChannels,
                                                    clock, ops, dashboardStats, apiKey,
                                                    new HandshakePolicy(verifier,
                                                                        Set.copyOf(config.auth().allowedOrigins()),
                                                                        Set.copyOf(
                                                                                config.webSocket().reservedUserIds())),
                                                    tls);
        apiInitializer = config.api().enabled()
                         ? new ApiChannelInitializer(config, registry, matches, offline, router, presence, envelopes,
                                                     json, metrics, allChannels, ops, status::stats,
                                                     config.apiUsesTls() ? tls : null)
                         : null;
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
        if (cluster != null) {
            try {
                cluster.start(resources.ioGroup().next(), lifecycle::release, webhooks);
            } catch (IllegalStateException e) {
                store.close();
                resources.shutdown(config.server().shutdownTimeout());
                throw e;
            }
        }
        try {
            serverChannel = bootstrap.bind(server.host(), server.port()).sync().channel();
        } catch (Exception e) {
            if (cluster != null) {
                cluster.close();
            }
            store.close();
            resources.shutdown(config.server().shutdownTimeout());
            throw new IllegalStateException("cannot listen on " + server.host() + ':' + server.port() + ": " + e, e);
        }
        if (apiInitializer != null) {
            startApi();
        }
        offlineSweeper();
        final List<String> relaxed = config.relaxedSettings();
        if (!relaxed.isEmpty()) {
            // One line, so that an operator sees every relaxed default together (docs/SECURITY.md).
            logger.warn("Relaxed security settings: {} (see docs/SECURITY.md)", String.join("; ", relaxed));
        }
        logger.info("Switchboard listening on {} ({}, {} io threads), WebSocket path {}/{userId}{}",
                    localAddress(), resources.transportName(), resources.ioThreads(),
                    config.webSocket().path(), tls == null ? "" : ", TLS (" + tls.providerName() + "): wss://");
        return this;
    }

    private void startApi() throws InterruptedException {
        final GatewayConfig.Api api = config.api();
        final ServerBootstrap bootstrap = new ServerBootstrap()
                .group(resources.bossGroup(), resources.ioGroup())
                .channel(resources.serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(apiInitializer);
        try {
            apiChannel = bootstrap.bind(api.host(), config.apiPort()).sync().channel();
        } catch (Exception e) {
            serverChannel.close().await(config.server().shutdownTimeout().toMillis());
            if (cluster != null) {
                cluster.close();
            }
            releaseExtras();
            store.close();
            resources.shutdown(config.server().shutdownTimeout());
            throw new IllegalStateException("cannot listen for the API on " + api.host() + ':' + config.apiPort()
                                            + ": " + e, e);
        }
        logger.info("Switchboard API listening on {}{}{}", apiAddress(), config.apiUsesTls() ? " over TLS" : "",
                    api.apiKey().isEmpty() ? " (no API key: anyone who reaches it can push)" : "");
    }

    /**
     * The conversation histories of one gateway: none, or in direct buffers and the data file. Their buffers take at
     * most a quarter of the direct memory Netty may use (-XX:MaxDirectMemorySize, by default the heap's maximum), so
     * that the connections' own buffers always have room.
     */
    private static History historyOf(GatewayConfig.Chat chat, ChatStore store, EnvelopeJson json, Clock clock) {
        if (chat.historyMax() == 0) {
            return History.NONE;
        }
        final MemoryHistory memory = new MemoryHistory(store, json, PooledByteBufAllocator.DEFAULT,
                                                       chat.historyMax(), chat.historyRetention().toMillis(),
                                                       PlatformDependent.maxDirectMemory() / 4, clock::millis);
        memory.restore(store.loadHistory());
        return memory;
    }

    private void offlineSweeper() {
        final IdleSweeper idle = new IdleSweeper(registry, config.webSocket().idleTimeout().toNanos(),
                                                 config.webSocket().pingInterval().toNanos(), System::nanoTime);
        resources.ioGroup().next().scheduleAtFixedRate(idle, idle.periodNanos(), idle.periodNanos(),
                                                       TimeUnit.NANOSECONDS);
        resources.ioGroup().next().scheduleAtFixedRate(
                () -> Stages.debugOnFailure(matches.expireQueue(), logger, "queue expiry"), 1, 1, TimeUnit.SECONDS);
        if (history instanceof MemoryHistory memory) {
            resources.ioGroup().next().scheduleAtFixedRate(memory::checkpoint, 1, 1, TimeUnit.SECONDS);
        }
        resources.ioGroup().next().scheduleAtFixedRate(() -> {
            offline.sweep();
            delivery.sweepKept(config.offline().ttl().toNanos());
            if (history instanceof MemoryHistory memory) {
                memory.sweep();
            }
            if (acks != null) {
                acks.sweep();
                resends.sweep();
            }
        }, OFFLINE_SWEEP_SECONDS, OFFLINE_SWEEP_SECONDS, TimeUnit.SECONDS);
    }

    /** The bound address; with port 0 this tells which port was picked. */
    public InetSocketAddress localAddress() {
        final Channel ch = serverChannel;
        if (ch == null) {
            throw new IllegalStateException("not started");
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /** The bound address of the server-side API listener. */
    public InetSocketAddress apiAddress() {
        final Channel ch = apiChannel;
        if (ch == null) {
            throw new IllegalStateException(apiInitializer == null ? "the API is disabled" : "not started");
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /** Whether the main listener is bound and open. */
    private boolean listening() {
        final Channel ch = serverChannel;
        return ch != null && ch.isActive();
    }

    /**
     * Drains and stops: stops accepting, closes every session with 1001 and every other connection, waits up to
     * {@code shutdown-timeout} for them, then stops the event loops. Idempotent; blocks the calling thread.
     *
     * <p>Every wait is bounded by {@code shutdown-timeout}, and none is cut short by an interrupt: a drain that
     * stopped half-way would leave the data file unflushed and the held messages of the last writes out of it. An
     * interrupt that arrives meanwhile is kept (the thread's flag is set again on return), which is why this method
     * declares no {@link InterruptedException}.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (draining) {
                return;
            }
            draining = true;
        }
        final long start = System.nanoTime();
        final long timeoutMillis = config.server().shutdownTimeout().toMillis();
        final Channel ch = serverChannel;
        if (ch != null) {
            ch.close().awaitUninterruptibly(timeoutMillis);
        }
        // A connection accepted just before the listener closed may still be registering on its I/O loop, and joins
        // allChannels only then. Let those registrations run first, or such a connection would be missed below and
        // held open until the shutdown timeout.
        runPendingTasks(timeoutMillis);
        final Channel api = apiChannel;
        if (api != null) {
            api.close().awaitUninterruptibly(timeoutMillis);
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
        final boolean closed = allChannels.newCloseFuture().awaitUninterruptibly(timeoutMillis);
        if (!closed) {
            logger.warn("Shutdown timeout: {} connections still open, closing them", allChannels.size());
            allChannels.close().awaitUninterruptibly(1000);
        }
        // Writes that failed as their connections closed put their messages back in the hold from listeners on the
        // I/O loops: let those run before the store is closed, so that they reach the data file.
        runPendingTasks(timeoutMillis);
        if (cluster != null) {
            // In a cluster those hand the messages to Redis (or another node), asynchronously: let them get there
            // before the Redis connections close.
            awaitHandOffs(start, timeoutMillis);
        }
        // The webhooks stop before the store (or the cluster's Redis) closes: their last removals (delivered events)
        // must reach the outbox, and what is still queued stays there for the next start.
        awaitWebhooks(start);
        if (webhooks != null) {
            webhooks.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (history instanceof MemoryHistory memory) {
            memory.checkpoint();
            memory.close();
        }
        store.close();
        releaseExtras();
        resources.shutdown(config.server().shutdownTimeout());
        logger.info("Switchboard stopped: drained {} connections in {} ms", open,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private void awaitHandOffs(long start, long timeoutMillis) {
        final long left = timeoutMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        try {
            if (!cluster.awaitHandOffs(Math.max(0, left))) {
                logger.warn("Shutdown timeout: messages handed to the cluster are still on their way and may be lost");
            }
        } catch (InterruptedException e) {
            // Bounded like every other wait of the drain: keep the interrupt for the caller and go on closing.
            Thread.currentThread().interrupt();
        }
    }

    /** Waits (bounded) until every I/O loop has run the tasks queued on it before this call. */
    private void runPendingTasks(long timeoutMillis) {
        for (EventExecutor loop : resources.ioGroup()) {
            loop.submit(() -> { }).awaitUninterruptibly(timeoutMillis);
        }
    }

    /**
     * Gives the disconnect webhooks of the drained sessions what is left of the shutdown timeout; with a data
     * directory, what is still queued after it stays in the outbox for the next start.
     */
    private void awaitWebhooks(long startNanos) {
        if (webhooks == null) {
            return;
        }
        final long left = config.server().shutdownTimeout().toNanos() - (System.nanoTime() - startNanos);
        try {
            webhooks.whenIdle().get(Math.max(left, 0), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            // Bounded like every other wait of the drain: keep the interrupt for the caller and go on closing.
            Thread.currentThread().interrupt();
            logger.warn("Interrupted while waiting for webhooks: {} events still queued", webhooks.queued());
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            logger.warn("Shutdown timeout: {} webhook events still queued", webhooks.queued());
        }
    }

    private void releaseExtras() {
        notices.shutdown();
        if (tls != null) {
            tls.close();
        }
        if (webhooks != null) {
            webhooks.close();
        }
        if (verifier != null) {
            verifier.close();
        }
        prometheus.close();
    }

    /** The configuration this gateway runs with. */
    public GatewayConfig config() {
        return config;
    }

    /** The live sessions (for {@code GatewayInternals} in the tests). */
    SessionRegistry registry() {
        return registry;
    }

    /** The pairings: in memory on one gateway, in Redis in cluster mode. */
    MatchService matches() {
        return matches;
    }

    /** TLS of the listeners, or {@code null} without {@code tls-cert}. */
    ServerTls tls() {
        return tls;
    }

    /** The cluster side of this gateway, or {@code null} unless {@code cluster-mode=redis}. */
    GatewayCluster cluster() {
        return cluster;
    }
}
