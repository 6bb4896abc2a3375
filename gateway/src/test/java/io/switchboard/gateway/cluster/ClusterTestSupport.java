package io.switchboard.gateway.cluster;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

/**
 * Several cluster gateways in one JVM against one real Redis: {@code SWITCHBOARD_TEST_REDIS} when set (CI runs
 * Debian's redis-server), else a Testcontainers Redis; with neither, the test is skipped (an assumption, not a
 * failure). Every instance uses its own key prefix, so parallel runs on one Redis never see each other.
 */
final class ClusterTestSupport implements AutoCloseable {

    static final String ENV = "SWITCHBOARD_TEST_REDIS";
    private static final String IMAGE = "redis:7-alpine";
    private static GenericContainer<?> container;
    private static String unavailable;

    final String redisUrl;
    final String prefix = "sbtest:" + UUID.randomUUID().toString().substring(0, 8) + ':';
    final EventLoopGroup clients = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final List<GatewayServer> nodes = new ArrayList<>();
    private final RedisClient admin;
    private final StatefulRedisConnection<String, String> adminConnection;

    ClusterTestSupport() {
        this(redisUrl());
    }

    ClusterTestSupport(String redisUrl) {
        this.redisUrl = redisUrl;
        admin = RedisClient.create(redisUrl);
        adminConnection = admin.connect();
    }

    /** The Redis to test against, or a skipped test. */
    static synchronized String redisUrl() {
        final String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return env;
        }
        if (container == null && unavailable == null) {
            unavailable = startContainer();
        }
        Assumptions.assumeTrue(unavailable == null, () -> "Cluster ITs skipped: " + unavailable + ". Set " + ENV
                                                          + "=redis://HOST:PORT or provide a Docker engine that has"
                                                          + " (or can pull) " + IMAGE);
        return "redis://" + container.getHost() + ':' + container.getMappedPort(6379);
    }

    /** Starts the Testcontainers Redis; returns why it could not, or {@code null}. Bounded: no endless pulls. */
    private static String startContainer() {
        try {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return "no Docker engine";
            }
            final var docker = DockerClientFactory.instance().client();
            if (docker.listImagesCmd().withImageNameFilter(IMAGE).exec().isEmpty()) {
                final boolean pulled = docker.pullImageCmd(IMAGE)
                        .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>())
                        .awaitCompletion(60, TimeUnit.SECONDS);
                if (!pulled || docker.listImagesCmd().withImageNameFilter(IMAGE).exec().isEmpty()) {
                    return "image " + IMAGE + " is not present and could not be pulled";
                }
            }
            final GenericContainer<?> c = new GenericContainer<>(IMAGE).withExposedPorts(6379);
            c.start();
            container = c;
            Runtime.getRuntime().addShutdownHook(new Thread(c::stop, "redis-container-stop"));
            return null;
        } catch (Throwable t) {
            return "Testcontainers could not start Redis (" + t + ")";
        }
    }

    /** Cluster settings with fast heartbeats, for {@code redisUrl} and this run's prefix. */
    GatewayConfig.Builder config(String nodeId) {
        return GatewayConfig.builder()
                            .host("127.0.0.1")
                            .port(0)
                            .ioThreads(2)
                            .shutdownTimeout(Duration.ofSeconds(2))
                            .clusterMode(GatewayConfig.Cluster.Mode.REDIS)
                            .redisUrl(redisUrl)
                            .redisKeyPrefix(prefix)
                            .nodeId(nodeId)
                            .nodeHeartbeat(Duration.ofMillis(200))
                            .nodeTtl(Duration.ofMillis(1000))
                            .remoteTimeout(Duration.ofSeconds(2));
    }

    GatewayServer start(GatewayConfig config) throws InterruptedException {
        final GatewayServer server = new GatewayServer(config).start();
        nodes.add(server);
        return server;
    }

    /** Starts {@code n} nodes named node-1..node-n. */
    List<GatewayServer> startNodes(int n, java.util.function.UnaryOperator<GatewayConfig.Builder> tweak)
            throws InterruptedException {
        final List<GatewayServer> started = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            started.add(start(tweak.apply(config("node-" + i)).build()));
        }
        return started;
    }

    /** Synchronous Redis commands for assertions (test thread only). */
    io.lettuce.core.api.sync.RedisCommands<String, String> redis() {
        return adminConnection.sync();
    }

    @Override
    public void close() throws InterruptedException {
        for (GatewayServer node : nodes) {
            node.close();
        }
        clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(3, TimeUnit.SECONDS);
        try {
            final List<String> keys = adminConnection.sync().keys(prefix + '*');
            if (!keys.isEmpty()) {
                adminConnection.sync().del(keys.toArray(new String[0]));
            }
        } catch (RuntimeException ignored) {
            // Redis may be down in the restart test; the keys carry a unique prefix either way.
        }
        adminConnection.close();
        admin.shutdown();
    }
}
