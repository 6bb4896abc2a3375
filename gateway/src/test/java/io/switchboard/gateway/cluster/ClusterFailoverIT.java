package io.switchboard.gateway.cluster;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.RedisClusterProcess;
import io.switchboard.gateway.testing.RedisTopology;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link FailoverScenario} on a Redis Cluster of 3 masters and 3 replicas: the master is killed (SIGKILL). */
class ClusterFailoverIT extends FailoverScenario {

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2).ownRedis(RedisTopology.CLUSTER)
                                                            .with(b -> b.reconnectGrace(Duration.ofSeconds(60)));

    @Override
    ClusterExtension cluster() {
        return cluster;
    }

    /** Node-2 found its shard subscription gone with the old master, and subscribed again on the new one. */
    @Override
    void afterChannelFailover(ClusterExtension cluster) throws Exception {
        final var metrics = cluster.node(1).http();
        cluster.awaitTrue(() -> metrics.metric("switchboard_redis_resubscribed_total") >= 1,
                          "node-2 subscribed its channel again");
    }

    @Override
    void failOver(String key) throws Exception {
        final RedisClusterProcess redis = cluster.ownRedisCluster();
        final int master = redis.masterPortForKey(key);
        redis.stopNode(master);
        redis.awaitPromotion(master);
    }
}
