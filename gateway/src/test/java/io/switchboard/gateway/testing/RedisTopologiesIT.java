package io.switchboard.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Redis test infrastructure itself: the run's Redis Cluster and Sentinel setup ({@link TestRedis}) serve a Lettuce
 * client the way the gateway will use them, and the private {@link RedisClusterProcess} and
 * {@link RedisSentinelProcess} fail over as their Javadoc promises.
 */
class RedisTopologiesIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** The JUnit root context, where {@link TestRedis} keeps the run's Redis of each topology. */
    private static ExtensionContext root;

    @RegisterExtension
    static final BeforeAllCallback ROOT = context -> root = context.getRoot();

    private final String prefix = "sbtest:" + UUID.randomUUID().toString().substring(0, 8) + ':';

    @Test
    void topologyUnderTestDefaultsToStandalone() {
        final String set = System.getProperty(RedisTopology.PROPERTY);
        assertEquals(set == null ? RedisTopology.STANDALONE : RedisTopology.parse(set), RedisTopology.underTest());
        assertEquals(RedisTopology.SENTINEL, RedisTopology.parse(" Sentinel "));
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void clusterServesKeysOfEveryMaster() {
        final String seeds = TestRedis.of(root, RedisTopology.CLUSTER).require();
        withCluster(seeds, connection -> {
            // Keys until every master serves one: slots spread over all three shards.
            final Map<String, String> owners = new HashMap<>();
            for (int i = 0; owners.values().stream().distinct().count() < 3; i++) {
                final String key = prefix + "user-" + i;
                final RedisClusterNode owner = connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
                owners.put(key, owner.getNodeId());
            }
            final Set<Integer> slots = new HashSet<>();
            owners.keySet().forEach(k -> {
                connection.sync().set(k, "v-" + k);
                slots.add(SlotHash.getSlot(k));
            });
            owners.keySet().forEach(k -> assertEquals("v-" + k, connection.sync().get(k)));
            assertTrue(slots.size() >= 3, "slots: " + slots);
            connection.sync().del(owners.keySet().toArray(new String[0]));
            return null;
        });
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void clusterRoundTripsAShardedMessage() throws Exception {
        final String seeds = TestRedis.of(root, RedisTopology.CLUSTER).require();
        final RedisClusterClient client = RedisClusterClient.create(uris(seeds));
        try (StatefulRedisClusterPubSubConnection<String, String> sub = client.connectPubSub();
             StatefulRedisClusterConnection<String, String> pub = client.connect()) {
            final String channel = prefix + "{node-1}:bus";
            final CompletableFuture<String> received = new CompletableFuture<>();
            sub.addListener(new RedisClusterPubSubAdapter<>() {
                @Override
                public void smessage(RedisClusterNode node, String ch, String message) {
                    if (ch.equals(channel)) {
                        received.complete(message);
                    }
                }
            });
            sub.sync().ssubscribe(channel);
            assertEquals(1L, pub.sync().spublish(channel, "hello"), "SPUBLISH receivers on the channel's shard");
            assertEquals("hello", received.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        } finally {
            client.shutdown();
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void sentinelUrlFindsThePrimary() {
        final String url = TestRedis.of(root, RedisTopology.SENTINEL).require();
        assertEquals(RedisSentinelProcess.MASTER_NAME, RedisURI.create(url).getSentinelMasterId());
        final RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            final RedisCommands<String, String> redis = connection.sync();
            redis.set(prefix + "k", "v");
            assertEquals("v", redis.get(prefix + "k"));
            assertEquals("master", RedisProcesses.fields(redis.info("replication")).get("role"));
            redis.del(prefix + "k");
        } finally {
            client.shutdown();
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void privateClusterFailsOverPlannedAndOnACrash() throws Exception {
        Assumptions.assumeTrue(RedisClusterProcess.onPath(), "redis-server and redis-cli are not on the PATH");
        try (RedisClusterProcess cluster = RedisClusterProcess.start()) {
            assertEquals(6, cluster.seedUrls().split(",").length);
            assertEquals(3, cluster.masterPorts().size());
            assertEquals(3, cluster.replicaPorts().size());
            final String key = prefix + "{user-1}:hold";
            assertEquals(SlotHash.getSlot(key), cluster.slotForKey(key));
            final int master = cluster.masterPortForKey(key);
            final int replica = cluster.replicaPortsOf(master).get(0);
            write(master, key, "1");

            // Planned: the replica takes over, the old master follows it.
            cluster.failover(replica);
            assertEquals(replica, cluster.masterPortForKey(key));
            assertEquals(List.of(master), cluster.replicaPortsOf(replica));
            assertEquals("1", read(replica, key));
            write(replica, key, "2");

            // A crash: the old master, now the replica, is promoted back.
            cluster.stopNode(replica);
            assertEquals(master, cluster.awaitPromotion(replica));
            assertEquals(master, cluster.masterPortForKey(key));
            assertEquals("2", read(master, key));

            // The crashed node rejoins as a replica.
            cluster.startNode(replica);
            cluster.awaitHealthy();
            assertEquals(List.of(replica), cluster.replicaPortsOf(master));
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void privateSentinelFailsOverAndTheClientFollows() throws Exception {
        Assumptions.assumeTrue(RedisSentinelProcess.onPath(), "redis-server is not on the PATH");
        try (RedisSentinelProcess sentinel = RedisSentinelProcess.start()) {
            final RedisClient client = RedisClient.create(sentinel.url());
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                connection.setTimeout(Duration.ofSeconds(30)); // a command may wait out a failover
                final RedisCommands<String, String> redis = connection.sync();
                final int first = sentinel.primaryPort();
                redis.set(prefix + "a", "1");
                assertEquals(1L, redis.waitForReplication(1, TIMEOUT.toMillis()));

                // Planned: the sentinels promote the replica and close the old primary's clients.
                final int second = sentinel.failover();
                assertNotEquals(first, second);
                redis.set(prefix + "b", "2");
                assertEquals("1", redis.get(prefix + "a"));
                assertEquals("2", read(second, prefix + "b"), "written to the new primary");
                assertEquals(1L, redis.waitForReplication(1, TIMEOUT.toMillis()));

                // A crash: the client reconnects through the sentinels once they promoted the replica.
                assertEquals(second, sentinel.stopPrimary());
                assertEquals(first, sentinel.awaitNewPrimary(second));
                redis.set(prefix + "c", "3");
                assertEquals(List.of("1", "2", "3"), List.of(redis.get(prefix + "a"), redis.get(prefix + "b"),
                                                             redis.get(prefix + "c")));
                assertEquals("3", read(first, prefix + "c"));

                sentinel.startAgain(second);
                assertEquals(first, sentinel.primaryPort());
            } finally {
                client.shutdown();
            }
        }
    }

    private static <T> T withCluster(String seeds, Function<StatefulRedisClusterConnection<String, String>, T> body) {
        final RedisClusterClient client = RedisClusterClient.create(uris(seeds));
        try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
            return body.apply(connection);
        } finally {
            client.shutdown();
        }
    }

    /** The seed URLs of {@code redis://a:1,redis://b:2}, as the gateway will split them. */
    private static List<RedisURI> uris(String seeds) {
        final List<RedisURI> uris = new ArrayList<>();
        for (String seed : seeds.split(",")) {
            uris.add(RedisURI.create(seed));
        }
        return uris;
    }

    /** SET on the node at {@code port} directly, acknowledged by one replica. */
    private static void write(int port, String key, String value) {
        onNode(port, c -> {
            c.set(key, value);
            assertEquals(1L, c.waitForReplication(1, TIMEOUT.toMillis()), "replicas that acknowledged " + key);
            return null;
        });
    }

    /** GET on the node at {@code port} directly (it must serve the key's slot). */
    private static String read(int port, String key) {
        return onNode(port, c -> c.get(key));
    }

    private static <T> T onNode(int port, Function<RedisCommands<String, String>, T> command) {
        final RedisClient client = RedisProcesses.adminClient();
        try {
            return RedisProcesses.onNode(client, port, command);
        } finally {
            client.shutdown();
        }
    }
}
