package io.switchboard.gateway.testing;

import java.util.Locale;

/**
 * How the Redis of a Redis IT is deployed, as the gateway's {@code --redis-topology} names it. {@link TestRedis#of}
 * finds (or starts) one per topology; {@link #underTest()} is the one place that says which topology the cluster ITs
 * run against in this JVM.
 */
public enum RedisTopology {
    /** One Redis server: {@code redis://host:port}. */
    STANDALONE,
    /** A Redis Cluster: comma-separated seed URLs, {@code redis://host:p1,redis://host:p2,...}. */
    CLUSTER,
    /** A primary and replicas under Redis Sentinel: {@code redis-sentinel://host:s1,host:s2,...#mymaster}. */
    SENTINEL;

    /**
     * The system property naming the topology the cluster ITs run against ({@code standalone}, {@code cluster} or
     * {@code sentinel}; default {@code standalone}). The gateway POM's failsafe executions set it, one per topology.
     */
    public static final String PROPERTY = "switchboard.test.redis-topology";

    /** The topology the cluster ITs run against in this JVM: {@value #PROPERTY}, default {@link #STANDALONE}. */
    public static RedisTopology underTest() {
        final String value = System.getProperty(PROPERTY);
        return value == null || value.isBlank() ? STANDALONE : parse(value);
    }

    /** The topology {@code value} names ({@code standalone}, {@code cluster}, {@code sentinel}; any case). */
    public static RedisTopology parse(String value) {
        for (RedisTopology t : values()) {
            if (t.value().equalsIgnoreCase(value.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException(PROPERTY + ": " + value + " (expected: standalone, cluster or sentinel)");
    }

    /** The name as {@code --redis-topology} and {@value #PROPERTY} spell it: {@code standalone}, ... */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }
}
