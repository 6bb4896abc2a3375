package io.switchboard.gateway.cluster;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions.RefreshTrigger;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.masterreplica.MasterReplica;
import io.lettuce.core.protocol.ConnectionIntent;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.GatewayMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the Redis side of one cluster node, for each {@code redis-topology}: the Lettuce client and its resources, one
 * multiplexed command connection (Lettuce pipelines every command of every thread over it, in order; in a Redis
 * Cluster it routes each command to the master of its key's slot, over one connection per master), and the pub/sub
 * connection subscribed to this node's channel and the queue's.
 *
 * <p><b>Topologies.</b> {@code standalone}: one Redis; {@code sentinel}: Lettuce asks the Sentinels for the primary
 * and asks again on every reconnect, so a failover is a reconnect; both use classic {@code PUBLISH}/{@code SUBSCRIBE}.
 * {@code cluster}: Lettuce's cluster client with periodic and adaptive topology refresh; the node channels are shard
 * channels ({@code SSUBSCRIBE}/{@code SPUBLISH}), so a message crosses only the shard that owns its recipient node's
 * channel. Lettuce does not move shard subscriptions after a failover or a slot migration (lettuce issue #3213), and
 * {@code SPUBLISH} counts only the subscribers on the master it reached, so this class checks its own subscription
 * ({@link #checkSubscription}, every heartbeat: a ping published to its own channel that nobody receives) and, when
 * it finds none, or Redis unsubscribed it ({@code sunsubscribe}), opens a fresh pub/sub connection and subscribes
 * again: no stale subscription on the old master is left to deliver twice.
 *
 * <p><b>Replicated promises.</b> {@link #durable} runs a write that backs a promise (a held message, an
 * acknowledged delivery, a pairing) and then {@code WAIT}s for {@code redis-wait-replicas} replicas of the master that
 * took it, on the connection the commands to that master take anyway (so the write keeps its place among them, as
 * every other command of this node does). {@code WAIT}s are group-committed: one covers every write issued before
 * it, and the commands pipelined behind an outstanding {@code WAIT} (which blocks its connection in Redis, for about
 * one replication round trip) are covered by the next. A {@code WAIT} that comes back short (a replica is down
 * or lagging) is counted, warned about, and turns the waits off for {@value #DEGRADED_MILLIS} ms, so a lost replica
 * costs one {@code redis-wait-timeout} stall, not one per message.
 *
 * <p><b>Outages.</b> Lettuce reconnects by itself, with jittered exponential backoff (100 ms to 5 s), and
 * re-subscribes. While disconnected, commands are rejected at once ({@code DisconnectedBehavior.REJECT_COMMANDS})
 * rather than queued, and every command has a timeout, so callers see a failed stage quickly and answer
 * {@code UNAVAILABLE} instead of piling up work.
 *
 * <p>Lettuce runs its own two I/O threads here rather than the gateway's event loops: every continuation that touches
 * a connection hops to that connection's loop anyway ({@code whenCompleteAsync(fn, eventLoop)}).
 */
final class ClusterRedis implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ClusterRedis.class);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** How long {@code WAIT}s stay off after one came back short. */
    static final long DEGRADED_MILLIS = 5_000;
    private static final long RESUBSCRIBE_RETRY_MILLIS = 500;
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final GatewayConfig.Cluster.Topology topology;
    private final int waitReplicas;
    private final long waitTimeoutMillis;
    private final GatewayMetrics metrics;
    private final ClientResources resources;
    private final RedisClient client;
    /** The URI of the one Redis, or of its Sentinels; {@code null} for a Redis Cluster. */
    private final RedisURI uri;
    private final RedisClusterClient clusterClient;
    private StatefulRedisConnection<String, String> commands;
    private StatefulRedisClusterConnection<String, String> clusterCommands;
    private RedisClusterAsyncCommands<String, String> async;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    /** The group commit of {@code WAIT}s per connection that takes durable writes (one per master in a cluster). */
    private final ConcurrentHashMap<Object, WaitBatch> batches = new ConcurrentHashMap<>();
    private final AtomicLong degradedUntilNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
    private final AtomicBoolean resubscribing = new AtomicBoolean();
    private List<String> channels = List.of();
    private BiConsumer<String, String> onMessage;
    private Runnable onResubscribed;
    /** Run (on a Lettuce thread) after the cluster's topology changed and the new nodes are connected. */
    private volatile Runnable topologyChanged = () -> { };
    private volatile boolean closed;

    ClusterRedis(GatewayConfig.Cluster cluster, GatewayMetrics metrics) {
        this.topology = cluster.topology();
        this.waitReplicas = cluster.replicasToWaitFor();
        this.waitTimeoutMillis = cluster.waitTimeout().toMillis();
        this.metrics = metrics;
        // Reconnect attempts back off exponentially with full jitter, 100 ms to 5 s, so that a restarted Redis is
        // found again within seconds and a cluster of nodes does not reconnect in lock-step.
        resources = DefaultClientResources.builder()
                                          .ioThreadPoolSize(2)
                                          .computationThreadPoolSize(2)
                                          .reconnectDelay(Delay.fullJitter(Duration.ofMillis(100),
                                                                           Duration.ofSeconds(5), 2,
                                                                           TimeUnit.MILLISECONDS))
                                          .build();
        if (topology == GatewayConfig.Cluster.Topology.CLUSTER) {
            final List<RedisURI> seeds = new ArrayList<>();
            for (String seed : cluster.redisUrl().split(",")) {
                seeds.add(RedisURI.create(seed.trim()));
            }
            client = null;
            uri = null;
            clusterClient = RedisClusterClient.create(resources, seeds);
            clusterClient.setOptions(
                    ClusterClientOptions.builder()
                                        .topologyRefreshOptions(
                                                ClusterTopologyRefreshOptions.builder()
                                                                             .enablePeriodicRefresh(
                                                                                     Duration.ofSeconds(10))
                                                                             .enableAdaptiveRefreshTrigger(
                                                                                     RefreshTrigger.values())
                                                                             .build())
                                        .autoReconnect(true)
                                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                                        .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                                        .build());
        } else {
            clusterClient = null;
            uri = RedisURI.create(cluster.redisUrl());
            client = RedisClient.create(resources, uri);
            client.setOptions(ClientOptions.builder()
                                           .autoReconnect(true)
                                           .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                                           .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                                           .build());
        }
    }

    /**
     * Sets what runs after a Redis Cluster's topology changed (a failover, a slot move): loading the scripts on a
     * promoted replica, and a check of this node's subscription. Set once, before {@link #connect}.
     */
    void onTopologyChange(Runnable action) {
        this.topologyChanged = action;
    }

    /** Whether the node channels are shard channels ({@code redis-topology} cluster). */
    boolean sharded() {
        return clusterClient != null;
    }

    /** The command the scripts publish with: {@code SPUBLISH} in a Redis Cluster, else {@code PUBLISH}. */
    String publishCommand() {
        return sharded() ? "SPUBLISH" : "PUBLISH";
    }

    /**
     * Connects and subscribes {@code channel} (this node's) and {@code broadcast} (every node's: the queue's
     * positions), delivering their messages to {@code onMessage} (on a Lettuce thread, one at a time per Redis
     * connection, in the order Redis published them). Blocks the calling thread, which must not be an event loop: it
     * runs once, in {@code GatewayServer.start()}.
     *
     * @param onResubscribed run (on a Lettuce thread) each time the channel is subscribed again after a reconnect, a
     *                       failover or a slot move: until then, other nodes' publishes to it reached nobody
     * @throws IllegalStateException if Redis cannot be reached
     */
    void connect(String channel, String broadcast, BiConsumer<String, String> onMessage, Runnable onResubscribed) {
        this.channels = List.of(channel, broadcast);
        this.onMessage = onMessage;
        this.onResubscribed = onResubscribed;
        try {
            if (sharded()) {
                clusterCommands = clusterClient.connect();
                async = clusterCommands.async();
                // Lettuce opens node connections lazily, and with REJECT_COMMANDS a command that would wait for one
                // is refused: open them now, and again whenever the topology changes (a promoted replica).
                preconnect().toCompletableFuture().get(COMMAND_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
                resources.eventBus().get()
                         .filter(ClusterTopologyChangedEvent.class::isInstance)
                         .subscribe(event -> {
                             if (!closed) {
                                 preconnect().thenRun(topologyChanged);
                             }
                         });
                pubSub = subscribeSharded().toCompletableFuture()
                                           .get(COMMAND_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
            } else {
                // A primary/replica connection follows the Sentinels' +switch-master at once; a plain one would keep
                // writing to a demoted primary until Sentinel closes its connections (seconds later).
                commands = topology == GatewayConfig.Cluster.Topology.SENTINEL
                           ? MasterReplica.connect(client, StringCodec.UTF8, uri)
                           : client.connect();
                async = commands.async();
                pubSub = client.connectPubSub();
                final AtomicBoolean first = new AtomicBoolean(true);
                pubSub.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String ch, String message) {
                        onMessage.accept(ch, message);
                    }

                    @Override
                    public void subscribed(String ch, long count) {
                        if (channel.equals(ch) && !first.compareAndSet(true, false)) {
                            onResubscribed.run();
                        }
                    }
                });
                pubSub.sync().subscribe(channel, broadcast);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while connecting to Redis", e);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("cannot reach Redis: " + e.getMessage(), e);
        }
    }

    /** Opens the command connection's node connections to every master and replica known now. */
    private CompletionStage<Void> preconnect() {
        CompletionStage<Void> all = CompletableFuture.completedFuture(null);
        batches.keySet().removeIf(c -> c instanceof StatefulConnection<?, ?> connection && !connection.isOpen());
        for (RedisClusterNode node : clusterCommands.getPartitions()) {
            final ConnectionIntent intent = node.is(RedisClusterNode.NodeFlag.UPSTREAM) ? ConnectionIntent.WRITE
                                                                                       : ConnectionIntent.READ;
            // By host and port: the connections Lettuce routes commands over are keyed so.
            final CompletionStage<Void> opened = clusterCommands.getConnectionAsync(node.getUri().getHost(),
                                                                                    node.getUri().getPort(), intent)
                    .<Void>thenApply(x -> null)
                    .exceptionally(error -> {
                        logger.debug("no connection to {} yet: {}", node.getUri(), error.toString());
                        return null;
                    });
            all = all.thenCombine(opened, (a, b) -> null);
        }
        return all;
    }

    /**
     * A new cluster pub/sub connection with both shard channels subscribed (one {@code SSUBSCRIBE} each: they are in
     * different slots). Its listener ignores everything once it is replaced.
     */
    private CompletionStage<StatefulRedisPubSubConnection<String, String>> subscribeSharded() {
        return clusterClient.connectPubSubAsync(StringCodec.UTF8).thenCompose(connection -> {
            // Each channel is subscribed on a connection to the master that owns its slot now (found by this node:
            // a node connection waits until it is connected), and their messages reach this one listener.
            connection.setNodeMessagePropagation(true);
            connection.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void smessage(String ch, String message) {
                    if (pubSub == connection) {
                        onMessage.accept(ch, message);
                    }
                }

                @Override
                public void sunsubscribed(String ch, long count) {
                    // Redis took the subscription away (its slot moved, or this master became a replica).
                    if (pubSub == connection && !closed && channels.contains(ch)) {
                        logger.info("Redis unsubscribed this node from {} (failover or slot move): subscribing"
                                    + " again", ch);
                        resubscribe();
                    }
                }
            });
            CompletionStage<Void> all = CompletableFuture.completedFuture(null);
            for (String ch : channels) {
                all = all.thenCompose(v -> {
                    final RedisClusterNode master = connection.getPartitions().getMasterBySlot(SlotHash.getSlot(ch));
                    if (master == null) {
                        throw new IllegalStateException("no master serves the slot of " + ch);
                    }
                    return connection.getConnectionAsync(master.getNodeId())
                                     .thenCompose(node -> node.async().ssubscribe(ch));
                });
            }
            return all.handle((v, error) -> {
                if (error != null) {
                    connection.closeAsync();
                    throw new IllegalStateException("SSUBSCRIBE failed: " + error, error);
                }
                return connection;
            });
        });
    }

    /**
     * Replaces the cluster pub/sub connection with a fresh one subscribed to both channels, retrying until it works;
     * then runs {@code onResubscribed}. At most one runs at a time.
     */
    private void resubscribe() {
        if (closed || !resubscribing.compareAndSet(false, true)) {
            return;
        }
        subscribeSharded().whenComplete((fresh, error) -> {
            if (error != null || closed) {
                resubscribing.set(false);
                if (fresh != null) {
                    fresh.closeAsync();
                }
                if (!closed) {
                    logger.debug("subscribing again failed, retrying: {}", String.valueOf(error));
                    resources.eventExecutorGroup().schedule(this::resubscribe, RESUBSCRIBE_RETRY_MILLIS,
                                                            TimeUnit.MILLISECONDS);
                }
                return;
            }
            final StatefulRedisPubSubConnection<String, String> old = pubSub;
            pubSub = fresh;
            if (old != null) {
                old.closeAsync();
            }
            resubscribing.set(false);
            metrics.redisResubscribed();
            onResubscribed.run();
        });
    }

    /**
     * In a Redis Cluster, publishes {@code ping} to this node's own channel and subscribes again if nobody received
     * it (a failover or slot move left the subscription on a node that no longer owns the slot). Elsewhere nothing:
     * Lettuce re-subscribes classic channels on reconnect. Non-blocking.
     */
    void checkSubscription(String ping) {
        if (!sharded() || closed || resubscribing.get()) {
            return;
        }
        LuaScript.<Long>call(() -> async.spublish(channels.get(0), ping)).whenComplete((n, error) -> {
            if (error == null && n == 0) {
                logger.info("Nobody is subscribed to this node's channel {}: subscribing again", channels.get(0));
                resubscribe();
            }
        });
    }

    /**
     * Loads {@code scripts} into the script cache of every Redis this node may run them on ({@link LuaScript#load}):
     * the one Redis, or every master and replica of a Redis Cluster (a replica promoted by a failover has them too).
     * A node not reachable now is skipped: {@code EVALSHA} falls back to {@code EVAL} there.
     */
    CompletionStage<Void> loadScripts(List<LuaScript> scripts) {
        if (!sharded()) {
            return LuaScript.load(async, scripts);
        }
        CompletionStage<Void> all = CompletableFuture.completedFuture(null);
        for (RedisClusterNode node : clusterCommands.getPartitions()) {
            final ConnectionIntent intent = node.is(RedisClusterNode.NodeFlag.UPSTREAM) ? ConnectionIntent.WRITE
                                                                                       : ConnectionIntent.READ;
            final CompletionStage<Void> loaded = clusterCommands.getConnectionAsync(node.getUri().getHost(),
                                                                                    node.getUri().getPort(), intent)
                    .thenCompose(c -> LuaScript.load(c.async(), scripts))
                    .exceptionally(error -> {
                        logger.debug("scripts not loaded on {}: {}", node.getUri(), error.toString());
                        return null;
                    });
            all = all.thenCombine(loaded, (a, b) -> null);
        }
        return all;
    }

    /** The asynchronous commands; thread-safe. In a Redis Cluster each command goes to its key's master. */
    RedisClusterAsyncCommands<String, String> async() {
        return async;
    }

    /** Publishes to a node channel ({@code SPUBLISH} in a Redis Cluster); completes with the receivers counted. */
    CompletionStage<Long> publish(String channel, String message) {
        return LuaScript.call(() -> sharded() ? async.spublish(channel, message) : async.publish(channel, message));
    }

    /**
     * Runs {@code write}, a write that backs a promise, on the connection to the master of {@code key}'s slot, and
     * completes with its result once {@code redis-wait-replicas} replicas of the master that owns {@code key} have it,
     * or {@code redis-wait-timeout} passed (counted). With no replicas to wait for, it is a plain write on the command
     * connection. Never blocks; every failure is a failed stage.
     *
     * @param key a key the write touches (all its keys are in that key's slot)
     */
    <T> CompletionStage<T> durable(String key,
                                   Function<RedisClusterAsyncCommands<String, String>, CompletionStage<T>> write) {
        if (waitReplicas == 0) {
            return LuaScript.call(() -> write.apply(async));
        }
        if (!sharded()) {
            return batch(commands, async, write);
        }
        final RedisClusterNode master = clusterCommands.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
        if (master == null) {
            // The topology does not know the slot yet: the routed connection finds it (MOVED), without a WAIT.
            return LuaScript.call(() -> write.apply(async)).thenApply(value -> {
                shortOfReplicas("no master known for the slot of " + key);
                return value;
            });
        }
        // The node connection Lettuce routes this master's commands over: the write keeps its place among them.
        return clusterCommands.getConnectionAsync(master.getUri().getHost(), master.getUri().getPort(),
                                                  ConnectionIntent.WRITE)
                              .thenCompose(c -> batch(c, c.async(), write));
    }

    /**
     * Issues {@code w} on {@code connection}, then (unless the waits are off after a short one) has a {@code WAIT}
     * cover it.
     */
    private <T> CompletionStage<T> batch(Object connection, RedisClusterAsyncCommands<String, String> commands,
                                         Function<RedisClusterAsyncCommands<String, String>, CompletionStage<T>> w) {
        final WaitBatch batch = batches.computeIfAbsent(connection, c -> new WaitBatch(commands));
        final CompletionStage<T> written;
        final CompletionStage<Long> waited;
        synchronized (batch) {
            // Issued in this order on this connection: the WAIT (this one or the next) covers the write.
            written = LuaScript.call(() -> w.apply(commands));
            if (System.nanoTime() - degradedUntilNanos.get() < 0) {
                return written;
            }
            waited = batch.afterWrite();
        }
        // A write that failed makes no promise: its WAIT does not matter then.
        return written.thenCompose(value -> waited.handle((replicas, error) -> {
            if (error != null || replicas < waitReplicas) {
                shortOfReplicas(error != null ? error.toString() : replicas + " of " + waitReplicas + " replicas");
            }
            return value;
        }));
    }

    /** A {@code WAIT} came back short or failed: count it, warn now and then, and stop waiting for a while. */
    private void shortOfReplicas(String why) {
        if (closed) {
            return;
        }
        metrics.redisWaitShort();
        degradedUntilNanos.set(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEGRADED_MILLIS));
        final long now = System.nanoTime();
        final long last = lastWarnNanos.get();
        if (now - last >= WARN_INTERVAL_NANOS && lastWarnNanos.compareAndSet(last, now)) {
            logger.warn("Redis replication is behind ({} within {} ms): held messages, acknowledged deliveries and"
                        + " pairings are promised on their master's word alone for the next {} ms at a time; a"
                        + " failover now can lose them (docs/DELIVERY.md)", why, waitTimeoutMillis, DEGRADED_MILLIS);
        }
    }

    /**
     * Group commit of {@code WAIT} on one connection: a write issued while no {@code WAIT} is outstanding sends one
     * now; writes issued while one is outstanding share the next, sent when it returns. A {@code WAIT} blocks its
     * connection in Redis, so the writes behind it wait too, and are covered by the next one.
     */
    private final class WaitBatch {
        private final RedisClusterAsyncCommands<String, String> commands;
        private boolean outstanding;
        private CompletableFuture<Long> next;

        WaitBatch(RedisClusterAsyncCommands<String, String> commands) {
            this.commands = commands;
        }

        /** Under this batch's lock, right after a write was issued on its connection. */
        CompletionStage<Long> afterWrite() {
            if (!outstanding) {
                outstanding = true;
                return sendWait();
            }
            if (next == null) {
                next = new CompletableFuture<>();
            }
            return next;
        }

        private CompletionStage<Long> sendWait() {
            final CompletionStage<Long> wait = LuaScript.call(
                    () -> commands.waitForReplication(waitReplicas, waitTimeoutMillis));
            wait.whenComplete((n, error) -> {
                final CompletableFuture<Long> followers;
                synchronized (this) {
                    followers = next;
                    next = null;
                    if (followers == null) {
                        outstanding = false;
                        return;
                    }
                    // Still outstanding: the followers' WAIT goes out now, behind their writes.
                    sendWait().whenComplete((m, e) -> {
                        if (e != null) {
                            followers.completeExceptionally(e);
                        } else {
                            followers.complete(m);
                        }
                    });
                }
            });
            return wait;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            final StatefulRedisPubSubConnection<String, String> p = pubSub;
            if (p != null) {
                p.close();
            }
            for (StatefulConnection<?, ?> c : new StatefulConnection<?, ?>[] {commands, clusterCommands}) {
                if (c != null) {
                    c.close();
                }
            }
            if (client != null) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            } else {
                clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            resources.shutdown(0, 2, TimeUnit.SECONDS).await(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            logger.debug("Redis client shutdown: {}", e.toString());
        }
    }
}
