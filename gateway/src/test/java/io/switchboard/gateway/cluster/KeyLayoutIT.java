package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.testing.TestGateway;
import io.switchboard.gateway.testing.TestRedis;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Key layout 2 (hash tags) is a data migration: a node of this version refuses to start on keys an older version
 * wrote under the same prefix, saying what to do, instead of misreading them; on a fresh prefix it records its
 * layout.
 */
class KeyLayoutIT {

    private static String redisUrl;

    @RegisterExtension
    static final BeforeAllCallback REDIS = (ExtensionContext context) -> redisUrl = TestRedis.of(context).require();

    @Test
    void refusesToStartOnKeysOfLayoutOneAndRecordsItsOwnOnAFreshPrefix() throws Exception {
        final String prefix = "sbtest:" + UUID.randomUUID().toString().substring(0, 8) + ':';
        final RedisClient admin = RedisClient.create(redisUrl);
        try (var connection = admin.connect()) {
            final var redis = connection.sync();
            // What a node of the previous version leaves behind: its heartbeat set and a pairing.
            redis.zadd(prefix + "nodes", System.currentTimeMillis() + 10_000, "old-node");
            redis.hset(prefix + "pairs", "u1", "a1");
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                                                               () -> TestGateway.start(b -> cluster(b, prefix)));
            final String message = String.valueOf(refused.getMessage()) + refused.getCause();
            assertTrue(message.contains("key layout 1") && message.contains(prefix), message);
            assertTrue(message.contains("--redis-key-prefix"), message);
            assertEquals(0L, redis.exists(prefix + "{m}:layout"), "nothing written next to the old keys");

            final String fresh = prefix + "v2:";
            try (TestGateway gateway = TestGateway.start(b -> cluster(b, fresh))) {
                assertEquals("2", redis.get(fresh + "{m}:layout"));
            }
            redis.del(prefix + "nodes", prefix + "pairs");
            redis.del(redis.keys(fresh + "*").toArray(new String[0]));
        } finally {
            admin.shutdown();
        }
    }

    private static GatewayConfig.Builder cluster(GatewayConfig.Builder b, String prefix) {
        return b.clusterMode(GatewayConfig.Cluster.Mode.REDIS).redisUrl(redisUrl).redisKeyPrefix(prefix)
                .nodeId("layout-node");
    }
}
