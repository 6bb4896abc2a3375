package io.switchboard.gateway.cluster;

import io.netty.util.concurrent.EventExecutor;
import io.switchboard.gateway.chat.ChatService;
import io.switchboard.gateway.chat.LocalRouter;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.json.EnvelopeJson;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster side of one gateway ({@code cluster-mode=redis}): builds the Redis-backed {@link MatchService} and
 * {@link Router} the gateway's {@link ChatService} uses, connects to Redis when the gateway starts and joins the
 * cluster. Internal to the gateway: {@code GatewayServer} owns it.
 */
public final class GatewayCluster implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(GatewayCluster.class);

    private final GatewayConfig config;
    private final String nodeId;
    private final RedisKeys keys;
    private final ClusterRedis redis;
    private final RedisMatchService matches;
    private final ClusterRouter router;
    private ClusterNode node;

    public GatewayCluster(GatewayConfig config, SessionRegistry registry, LocalRouter local, EnvelopeJson json,
                          GatewayMetrics metrics) {
        this.config = config;
        final GatewayConfig.Cluster cluster = config.cluster();
        nodeId = cluster.nodeId().isEmpty() ? defaultNodeId() : cluster.nodeId();
        keys = new RedisKeys(cluster.keyPrefix());
        redis = new ClusterRedis(cluster.redisUrl());
        matches = new RedisMatchService(redis::async, keys, config.chat().agentCapacity());
        router = new ClusterRouter(nodeId, redis::async, keys, registry, local, matches, json, metrics,
                                   config.offline().maxPerUser(), config.offline().ttl().toMillis(),
                                   cluster.remoteTimeout().toMillis());
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

    /** The pairings, cluster-wide. */
    public MatchService matches() {
        return matches;
    }

    /** The router, cluster-wide. */
    public Router router() {
        return router;
    }

    /** This node's id. */
    public String nodeId() {
        return nodeId;
    }

    /**
     * Connects to Redis, subscribes this node's channel and starts the heartbeat on {@code timer}. Blocks the calling
     * thread (never an event loop) while connecting.
     *
     * @throws IllegalStateException if Redis cannot be reached
     */
    public void start(ChatService chat, EventExecutor timer) {
        redis.connect(keys.channel(nodeId), (channel, message) -> router.onMessage(message));
        final GatewayConfig.Cluster cluster = config.cluster();
        node = new ClusterNode(nodeId, redis::async, keys, router, chat, timer, cluster.heartbeat().toMillis(),
                               cluster.nodeTtl().toMillis(), config.chat().reconnectGrace().toMillis());
        try {
            node.start();
        } catch (IllegalStateException e) {
            redis.close();
            throw e;
        }
        logger.info("Cluster node {} joined via {} (key prefix '{}')", nodeId, cluster.redisUrl(), keys.prefix);
    }

    /** Stops beating as a crash would, without telling the cluster (for tests of node failure). */
    public void simulateCrash() {
        if (node != null) {
            node.stopBeating();
        }
        redis.close();
    }

    /** Leaves the cluster (see {@link ClusterNode#close()}) and closes the Redis client. Idempotent. */
    @Override
    public void close() {
        if (node != null) {
            node.close();
            node = null;
        }
        redis.close();
    }
}
