package io.switchboard.gateway.cluster;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.RedisSentinelProcess;
import io.switchboard.gateway.testing.RedisTopology;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link FailoverScenario} on a primary, a replica and 3 Sentinels: the primary is killed (SIGKILL). */
class SentinelFailoverIT extends FailoverScenario {

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2).ownRedis(RedisTopology.SENTINEL)
                                                            .with(b -> b.reconnectGrace(Duration.ofSeconds(60)));

    @Override
    ClusterExtension cluster() {
        return cluster;
    }

    @Override
    void failOver(String key) throws Exception {
        final RedisSentinelProcess redis = cluster.ownRedisSentinel();
        redis.awaitNewPrimary(redis.stopPrimary());
    }
}
