package io.switchboard.gateway.testing;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.switchboard.gateway.GatewayInternals;
import io.switchboard.gateway.config.GatewayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * "A cluster of N nodes plus Redis" for an integration test class: before every test, N gateways in cluster mode
 * (node-1..node-N, fast heartbeats) on 127.0.0.1:0 against the run's Redis ({@link TestRedis}: found by the one rule,
 * or the test is skipped with the reason), under a key prefix of their own so runs sharing a Redis never meet; after
 * it, the clients, the nodes and the prefix's keys are gone.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ClusterExtension cluster = ClusterExtension.of(3).with(b -> b.agentCapacity(2));
 *
 * WsTestClient agent = cluster.agent(1, "t1");        // connected to node-2
 * cluster.awaitAgentInPool("t1");
 * }</pre>
 *
 * {@link #ownRedis()} gives each test a private, persistent {@code redis-server} it may stop and start
 * ({@link #ownRedisServer()}); without one on the PATH such a test is skipped with the reason.
 */
public final class ClusterExtension implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback,
                                               AfterAllCallback {

    /** How long cross-node steps may take: a node's Redis round trips on a loaded machine. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long a silent node counts as alive in the tests: short, so crash tests are quick, but several heartbeats
     * (200 ms) long, so that a loaded machine delaying a heartbeat does not get a live node reaped.
     */
    public static final Duration NODE_TTL = Duration.ofMillis(2500);

    private final int size;
    private UnaryOperator<GatewayConfig.Builder> settings = UnaryOperator.identity();
    private boolean ownRedis;

    private TestRedis runRedis;
    private WsTestClients clients;
    private RedisServerProcess privateRedis;
    private RedisTopology ownTopology = RedisTopology.STANDALONE;
    private RedisClusterProcess privateCluster;
    private RedisSentinelProcess privateSentinel;
    private String prefix;
    private GatewayConfig.Cluster.Topology topology;
    private AbstractRedisClient admin;
    private StatefulConnection<String, String> adminConnection;
    private RedisClusterCommands<String, String> adminCommands;
    private final List<TestGateway> nodes = new ArrayList<>();
    private final List<GatewayConfig> configs = new ArrayList<>();

    private ClusterExtension(int size) {
        this.size = size;
    }

    /** A cluster of {@code size} nodes. */
    public static ClusterExtension of(int size) {
        return new ClusterExtension(size);
    }

    /** Settings for every node on top of the cluster test defaults. */
    public ClusterExtension with(UnaryOperator<GatewayConfig.Builder> nodeSettings) {
        this.settings = nodeSettings;
        return this;
    }

    /** Each test gets a Redis of its own that it may restart (a persistent redis-server from the PATH). */
    public ClusterExtension ownRedis() {
        this.ownRedis = true;
        return this;
    }

    /**
     * Each test gets a Redis deployment of its own of {@code topology} whose nodes it may stop: a Redis Cluster of 3
     * masters and 3 replicas ({@link #ownRedisCluster()}) or a primary, a replica and 3 Sentinels
     * ({@link #ownRedisSentinel()}); skipped with the reason without redis-server on the PATH.
     */
    public ClusterExtension ownRedis(RedisTopology topology) {
        this.ownRedis = true;
        this.ownTopology = topology;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        clients = new WsTestClients();
        // A test that restarts its Redis has one of its own, standalone; the others use the run's topology.
        final RedisTopology underTest = ownRedis ? ownTopology : RedisTopology.underTest();
        topology = GatewayConfig.Cluster.Topology.parse(underTest.value());
        if (!ownRedis) {
            runRedis = TestRedis.of(context, underTest);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        final String redisUrl;
        if (ownRedis) {
            Assumptions.assumeTrue(RedisClusterProcess.onPath(),
                                   "needs a Redis it can restart: redis-server is not on the PATH"
                                   + " (apt-get install redis-server)");
            switch (ownTopology) {
                case CLUSTER -> {
                    privateCluster = RedisClusterProcess.startPersistent();
                    redisUrl = privateCluster.seedUrls();
                }
                case SENTINEL -> {
                    privateSentinel = RedisSentinelProcess.start();
                    redisUrl = privateSentinel.url();
                }
                default -> {
                    privateRedis = RedisServerProcess.startPersistent();
                    redisUrl = privateRedis.url();
                }
            }
        } else {
            redisUrl = runRedis.require();
        }
        prefix = "sbtest:" + UUID.randomUUID().toString().substring(0, 8) + ':';
        if (topology == GatewayConfig.Cluster.Topology.CLUSTER) {
            final RedisClusterClient client = RedisClusterClient.create(
                    java.util.Arrays.stream(redisUrl.split(",")).map(RedisURI::create).toList());
            final var connection = client.connect();
            connection.setTimeout(TIMEOUT);
            admin = client;
            adminConnection = connection;
            adminCommands = connection.sync();
        } else {
            final RedisClient client = RedisClient.create(redisUrl);
            final var connection = client.connect();
            admin = client;
            adminConnection = connection;
            adminCommands = connection.sync();
        }
        for (int i = 1; i <= size; i++) {
            configs.add(settings.apply(config(redisUrl, "node-" + i)).build());
            nodes.add(TestGateway.start(configs.get(i - 1)));
        }
    }

    /** Cluster settings with fast heartbeats, for {@code redisUrl} and this test's prefix. */
    private GatewayConfig.Builder config(String redisUrl, String nodeId) {
        return GatewayConfig.builder()
                            .host("127.0.0.1")
                            .port(0)
                            .ioThreads(2)
                            .shutdownTimeout(Duration.ofSeconds(2))
                            .clusterMode(GatewayConfig.Cluster.Mode.REDIS)
                            .redisUrl(redisUrl)
                            .redisTopology(topology)
                            .redisKeyPrefix(prefix)
                            .nodeId(nodeId)
                            .nodeHeartbeat(Duration.ofMillis(200))
                            .nodeTtl(NODE_TTL)
                            .remoteTimeout(Duration.ofSeconds(2));
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            clients.closeOpen();
            for (TestGateway node : nodes) {
                node.close();
            }
        } finally {
            nodes.clear();
            configs.clear();
            if (adminConnection != null) {
                try {
                    // A Redis of the test's own goes with it; a shared one is cleaned (unique prefix either way).
                    final List<String> keys = ownRedis ? List.of() : adminCommands.keys(prefix + '*');
                    if (!keys.isEmpty()) {
                        adminCommands.del(keys.toArray(new String[0]));
                    }
                } catch (RuntimeException ignored) {
                    // Redis may be down after a restart test; the keys carry a unique prefix either way.
                }
                adminConnection.close();
                admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                adminConnection = null;
            }
            if (privateRedis != null) {
                privateRedis.close();
                privateRedis = null;
            }
            if (privateCluster != null) {
                privateCluster.close();
                privateCluster = null;
            }
            if (privateSentinel != null) {
                privateSentinel.close();
                privateSentinel = null;
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        clients.close();
    }

    /** Node {@code index} (0-based: node-1 is 0). */
    public TestGateway node(int index) {
        return nodes.get(index);
    }

    /**
     * Starts node {@code index} again, with the same settings and node id (a restarted process), after it was stopped
     * or crashed; it replaces the old one.
     */
    public TestGateway restart(int index) throws InterruptedException {
        node(index).close();
        final TestGateway restarted = TestGateway.start(configs.get(index));
        nodes.set(index, restarted);
        return restarted;
    }

    /** Connects user {@code userId} to node {@code index}; closed after the test unless closed first. */
    public WsTestClient user(int index, String userId) {
        return clients.connect(node(index).user(userId));
    }

    /** Connects agent {@code userId} to node {@code index}; closed after the test unless closed first. */
    public WsTestClient agent(int index, String userId) {
        return clients.connect(node(index).agent(userId));
    }

    /** Connects to node {@code index} at {@code rawPathAndQuery}; closed after the test unless closed first. */
    public WsTestClient connect(int index, String rawPathAndQuery) {
        return clients.connect(node(index).uri(rawPathAndQuery));
    }

    /** Kills node {@code index} as a killed process would go (see {@link GatewayInternals#crash()}). */
    public void crash(int index) throws InterruptedException {
        node(index).internals().crash();
    }

    /** Synchronous Redis commands for assertions (test thread only). */
    public RedisClusterCommands<String, String> redis() {
        return adminCommands;
    }

    /** The Redis topology of this class's cluster ({@link RedisTopology#underTest()}, standalone for ownRedis). */
    public GatewayConfig.Cluster.Topology topology() {
        return topology;
    }

    /**
     * This test's Redis key for {@code name} in the key layout of docs/CLUSTER.md: {@code key("pool")} (the matching
     * family, {@code <prefix>{m}:pool}), {@code key("presence:alice")} (alice's family,
     * {@code <prefix>{u5:alice}:presence}).
     */
    public String key(String name) {
        final int colon = name.indexOf(':');
        final String kind = colon < 0 ? name : name.substring(0, colon);
        return switch (kind) {
            case "presence", "owner", "hold", "seq", "acklog", "kept", "history" -> {
                final String user = name.substring(colon + 1);
                yield prefix + "{u" + user.length() + ':' + user + "}:" + kind;
            }
            default -> prefix + "{m}:" + name;
        };
    }

    /** The Redis (shard) channel of node {@code index} (0-based), in the key layout of docs/CLUSTER.md. */
    public String nodeChannel(int index) {
        final String node = "node-" + (index + 1);
        return prefix + "{n" + node.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + ':' + node + "}:ch";
    }

    /** The private Redis Cluster of an {@code ownRedis(CLUSTER)} cluster. */
    public RedisClusterProcess ownRedisCluster() {
        if (privateCluster == null) {
            throw new IllegalStateException("not an ownRedis(CLUSTER) cluster");
        }
        return privateCluster;
    }

    /** The private Sentinel setup of an {@code ownRedis(SENTINEL)} cluster. */
    public RedisSentinelProcess ownRedisSentinel() {
        if (privateSentinel == null) {
            throw new IllegalStateException("not an ownRedis(SENTINEL) cluster");
        }
        return privateSentinel;
    }

    /** The private Redis of an {@link #ownRedis()} cluster. */
    public RedisServerProcess ownRedisServer() {
        if (privateRedis == null) {
            throw new IllegalStateException("not an ownRedis() cluster");
        }
        return privateRedis;
    }

    /** Waits (bounded by {@link #TIMEOUT}) until {@code agentId} is in the cluster's agent pool. */
    public void awaitAgentInPool(String agentId) throws InterruptedException {
        awaitTrue(() -> redis().zscore(key("pool"), agentId) != null, agentId + " in the agent pool");
    }

    /**
     * Waits until {@code condition} holds, polling: shared Redis state has no event to wait on. Fails after
     * {@link #TIMEOUT}.
     */
    public void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        final long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20); // polling shared Redis state; there is no event to wait on
        }
    }
}
