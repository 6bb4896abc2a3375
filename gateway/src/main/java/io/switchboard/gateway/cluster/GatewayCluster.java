package io.switchboard.gateway.cluster;

import io.lettuce.core.SetArgs;
import io.netty.util.concurrent.EventExecutor;
import io.switchboard.gateway.chat.Acknowledgements;
import io.switchboard.gateway.chat.History;
import io.switchboard.gateway.chat.LocalDelivery;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.MemoryHold;
import io.switchboard.gateway.chat.Presence;
import io.switchboard.gateway.chat.Replacement;
import io.switchboard.gateway.chat.Resends;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.gateway.webhook.WebhookOutbox;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.json.EnvelopeJson;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster side of one gateway ({@code cluster-mode=redis}): builds the Redis-backed {@link MatchService},
 * {@link Presence} and {@link Router} the chat core uses, connects to Redis when the gateway starts and joins the
 * cluster. Internal to the gateway: {@code GatewayServer} owns it.
 */
public final class GatewayCluster implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(GatewayCluster.class);
    /**
     * The scripts a user's deliveries and the queue go through, in the order they must stay in (see
     * {@link LuaScript#load}).
     */
    private static final List<LuaScript> DELIVERY_SCRIPTS = Stream.of(ClusterRouter.SCRIPTS, RedisHold.SCRIPTS,
                                                                      RedisPresence.SCRIPTS, RedisAcks.SCRIPTS,
                                                                      RedisMatchService.SCRIPTS)
                                                                  .flatMap(List::stream).toList();

    private final GatewayConfig config;
    /** Messages handed to the cluster ({@link #reroute}) whose route has not completed; its monitor signals zero. */
    private final AtomicInteger handOffsInFlight = new AtomicInteger();
    private final String nodeId;
    private final RedisKeys keys;
    private final ClusterRedis redis;
    private final RedisMatchService matches;
    private final History history;
    private final NodeBus bus;
    private final LocalDelivery local;
    private final RedisPresence presence;
    private final ClusterRouter router;
    private final RedisAcks acks;
    private final RedisResends resends;
    private final RedisWebhookOutbox webhookOutbox;
    private final GatewayMetrics metrics;
    private ClusterNode node;

    /**
     * @param memory      what this node holds for its own connections (slow or failing ones)
     * @param replacement closes a local connection that a newer one on another node displaced (4001)
     */
    public GatewayCluster(GatewayConfig config, SessionRegistry registry, MemoryHold memory,
                          Replacement replacement, EnvelopeJson json, Envelopes envelopes, GatewayMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        final GatewayConfig.Cluster cluster = config.cluster();
        nodeId = cluster.nodeId().isEmpty() ? defaultNodeId() : cluster.nodeId();
        keys = new RedisKeys(cluster.keyPrefix());
        redis = new ClusterRedis(cluster, metrics);
        matches = new RedisMatchService(redis, keys, config.chat().agentCapacity(), config.chat().queueMax(),
                                        config.chat().queueTimeout().toMillis(), user -> registry.find(user) != null,
                                        user -> {
                                            final Session session = registry.find(user);
                                            return session == null ? "" : RedisPresence.presenceValue(nodeId,
                                                                                                      session);
                                        });
        history = config.chat().historyMax() == 0
                  ? History.NONE
                  : new RedisHistory(redis, keys, json, config.chat().historyMax(),
                                     config.chat().historyRetention().toMillis());
        bus = new NodeBus(nodeId, redis::publish, keys, cluster.remoteTimeout().toMillis());
        final RedisHold hold = new RedisHold(redis, keys, json, metrics, config.offline().maxPerUser(),
                                             config.offline().ttl().toMillis());
        // What this node holds for a user who has no live connection here any more is routed again, cluster-wide.
        // reroute reads `router`, set below: it runs only once connections exist, long after this constructor.
        local = new LocalDelivery(registry, memory, metrics, config.chat().slowConsumerTimeout().toNanos(),
                                  this::reroute);
        acks = new RedisAcks(redis, keys, json, envelopes, metrics, config.offline().maxPerUser(),
                             config.offline().ttl().toMillis());
        resends = new RedisResends(redis, keys, json, config.offline().dedupWindow().toMillis(),
                                   cluster.remoteTimeout().toMillis());
        presence = new RedisPresence(nodeId, redis, keys, registry, local, hold, acks, bus, matches,
                                     replacement, json, metrics);
        router = new ClusterRouter(nodeId, redis, keys, registry, local, presence, hold, bus, json);
        webhookOutbox = new RedisWebhookOutbox(nodeId, redis, keys, metrics);
        acks.noticesTo(router::deliver);
        acks.onBlocked(local::watchSlowConsumer);
        local.onAcknowledgingWritable(acks::pump);
    }

    private static String defaultNodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "node";
        }
        final byte[] random = new byte[3];
        ThreadLocalRandom.current().nextBytes(random);
        return host.replace('|', '-') + '-' + HexFormat.of().formatHex(random);
    }

    /**
     * Routes a message again, as if it were sent now: to the node the user is connected to, or into the shared hold.
     * For a message this node accepted but can no longer write (the connection died, or the session ended with it
     * held here), so that a promise made here survives the user moving to another node.
     */
    private void reroute(String userId, Envelope envelope) {
        handOffsInFlight.incrementAndGet();
        router.handedOver(userId, envelope).whenComplete((outcome, error) -> {
            if (handOffsInFlight.decrementAndGet() == 0) {
                synchronized (handOffsInFlight) {
                    handOffsInFlight.notifyAll();
                }
            }
            if (error != null || outcome == Router.Delivery.DROPPED) {
                metrics.offlineDropped(1);
                logger.warn("A message for userId={} could not be handed to the cluster ({}): it is lost", userId,
                            error != null ? error.toString() : "no node answered");
            }
        });
    }

    /** Delivery to this node's connections. */
    public LocalDelivery local() {
        return local;
    }

    /** The pairings, cluster-wide. */
    public MatchService matches() {
        return matches;
    }

    /** The conversation histories, in Redis ({@link History#NONE} with {@code history-max} 0). */
    public History history() {
        return history;
    }

    /** Who is connected where, cluster-wide. */
    public Presence presence() {
        return presence;
    }

    /** The router, cluster-wide. */
    public Router router() {
        return router;
    }

    /** Acknowledgements of this node's acknowledging connections; their logs live in Redis. */
    public Acknowledgements acknowledgements() {
        return acks;
    }

    /** Resends of acknowledging senders, cluster-wide. */
    public Resends resends() {
        return resends;
    }

    /**
     * This node's webhook outbox, in Redis: the dispatcher writes its queues through to it. Its entries of a previous
     * run are queued at {@link #start}, not by {@link WebhookOutbox#load}.
     */
    public WebhookOutbox webhookOutbox() {
        return webhookOutbox;
    }

    /** Webhook outbox writes refused or failed since start (the node's durable store is Redis). */
    public long storeRefused() {
        return webhookOutbox.failed();
    }

    /** This node's id. */
    public String nodeId() {
        return nodeId;
    }

    /**
     * Connects to Redis, subscribes this node's channel and starts the heartbeat on {@code timer}. Blocks the calling
     * thread (never an event loop) while connecting.
     *
     * @param release  ends the pairings of a user of a dead node (the chat core's release), telling its peers
     * @param webhooks the running webhook dispatcher, which gets this node's outbox entries of its previous run and
     *                 those it takes over from dead nodes; {@code null} if webhooks are off (the entries are dropped)
     * @throws IllegalStateException if Redis cannot be reached
     */
    public void start(EventExecutor timer, BiFunction<String, Role, CompletionStage<Void>> release,
                      WebhookOutbox.Receiver webhooks) {
        resends.timer(timer);
        redis.onTopologyChange(() -> redis.loadScripts(DELIVERY_SCRIPTS).thenRun(() -> redis.checkSubscription(
                bus.ping())));
        redis.connect(keys.channel(nodeId), keys.queueChannel(),
                      (channel, message) -> bus.receive(message, router::onDeliver, presence::onKick,
                                                        router::onNotice, matches::onPositions),
                      this::resubscribed);
        final GatewayConfig.Cluster cluster = config.cluster();
        try {
            checkLayout();
            redis.loadScripts(DELIVERY_SCRIPTS).toCompletableFuture()
                     .get(ClusterRedis.COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            redis.close();
            throw new IllegalStateException("interrupted while loading the delivery scripts", e);
        } catch (ExecutionException | TimeoutException e) {
            redis.close();
            throw new IllegalStateException("cannot load the delivery scripts into Redis: " + e, e);
        } catch (IllegalStateException e) {
            redis.close();
            throw e;
        }
        node = new ClusterNode(nodeId, redis, keys, presence, matches, release, webhookOutbox::takeOver, timer,
                               cluster.heartbeat().toMillis(), cluster.nodeTtl().toMillis(),
                               config.chat().reconnectGrace().toMillis(), bus.ping());
        try {
            // Before the heartbeat, whose take-overs reserve seqs above the restored ones.
            webhookOutbox.start(webhooks != null ? webhooks : webhookOutbox.discarding(),
                                cluster.nodeTtl().toMillis());
            node.start();
        } catch (IllegalStateException e) {
            redis.close();
            throw e;
        }
        logger.info("Cluster node {} joined via {} (key prefix '{}')", nodeId, cluster.redisUrl(), keys.prefix);
    }

    /**
     * Refuses to start against keys this version would misread: those of key layout 1 (before hash tags), or a
     * layout it does not know; else records its own. Blocks the calling thread (never an event loop).
     *
     * @throws IllegalStateException naming the keys found and what to do
     */
    private void checkLayout() throws InterruptedException, ExecutionException, TimeoutException {
        final long timeout = ClusterRedis.COMMAND_TIMEOUT.toMillis();
        final String where = "Redis at " + config.cluster().redisUrl() + " under key prefix '" + keys.prefix + "'";
        for (String old : keys.layoutOneKeys()) {
            if (redis.async().exists(old).get(timeout, TimeUnit.MILLISECONDS) > 0) {
                throw new IllegalStateException(
                        where + " holds keys of an older Switchboard (key layout 1, e.g. '" + old + "'), which this"
                        + " version (key layout " + RedisKeys.LAYOUT + ") cannot read: stop every node of the older"
                        + " version and delete their keys (redis-cli --scan --pattern '" + keys.prefix + "*' |"
                        + " xargs redis-cli unlink), or start this version under another --redis-key-prefix"
                        + " (docs/CLUSTER.md, \"Upgrading to key layout 2\")");
            }
        }
        redis.async().set(keys.layout(), RedisKeys.LAYOUT, SetArgs.Builder.nx()).get(timeout, TimeUnit.MILLISECONDS);
        final String layout = redis.async().get(keys.layout()).get(timeout, TimeUnit.MILLISECONDS);
        if (!RedisKeys.LAYOUT.equals(layout)) {
            throw new IllegalStateException(where + " holds keys of key layout " + layout + ", which this version"
                                            + " (key layout " + RedisKeys.LAYOUT + ") does not know: run the"
                                            + " version that wrote them, or another --redis-key-prefix");
        }
    }

    /**
     * This node's channel is subscribed again after a Redis outage. Meanwhile the route script found nobody
     * listening and held messages in Redis for users who are connected here, and nothing else would ever take
     * them. Re-announcing every session takes each user's hold and writes it, as a connect does.
     */
    private void resubscribed() {
        // Redis may have come back with an empty script cache: load the delivery scripts before re-announcing.
        redis.loadScripts(DELIVERY_SCRIPTS).whenComplete((ok, error) -> {
            if (error != null) {
                logger.debug("Node {}: delivery scripts not loaded again: {}", nodeId, error.toString());
            }
            final int sessions = presence.resyncIfNeeded(true);
            logger.info("Node {} subscribed its channel again: re-announced its {} sessions", nodeId, sessions);
        });
    }

    /** Stops beating as a crash would, without telling the cluster (for tests of node failure). */
    void simulateCrash() {
        if (node != null) {
            node.stopBeating();
        }
        redis.close();
    }

    /**
     * Records the webhook outbox's last writes, leaves the cluster (see {@link ClusterNode#close()}) and closes the
     * Redis client. Call it after the webhook dispatcher has stopped: what it still had queued stays in Redis, for
     * this node's next start or for the node that reaps it. Idempotent.
     */
    /**
     * Waits, at most {@code timeoutMillis}, until every message this node handed to the cluster (sessions that ended
     * with messages held here) is routed: a draining node must not close its Redis connections under them. Blocks:
     * for the shutdown thread only. Returns whether none is left.
     */
    public boolean awaitHandOffs(long timeoutMillis) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (handOffsInFlight) {
            while (handOffsInFlight.get() > 0) {
                final long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                handOffsInFlight.wait(left);
            }
        }
        return true;
    }

    @Override
    public void close() {
        webhookOutbox.close();
        if (node != null) {
            node.close();
            node = null;
        }
        redis.close();
    }
}
