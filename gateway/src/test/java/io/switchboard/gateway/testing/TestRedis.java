package io.switchboard.gateway.testing;

import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

/**
 * The one rule by which every Redis IT finds its Redis, resolved once per test run and shared:
 * <ol>
 *   <li>{@code SWITCHBOARD_TEST_REDIS} ({@code host:port} or {@code redis://host:port}) when set. Set but not
 *       answering is a <em>failure</em>, not a skip: whoever set it wants those tests run. The value {@code skip}
 *       skips them on purpose.</li>
 *   <li>else a private {@code redis-server} from the PATH ({@link RedisServerProcess}), on a free port, stopped by
 *       its PID when the run ends;</li>
 *   <li>else a Testcontainers {@value #IMAGE}, only if a Docker engine answers ({@link DockerCheck}, asked quietly)
 *       and has or can pull the image within a minute;</li>
 *   <li>else the tests are skipped with the reason ({@link SkipReasonPrinter} prints it on the console).</li>
 * </ol>
 * Kept in the JUnit root store, so the Redis started here is stopped once all test classes ran.
 *
 * <p>{@link #of(ExtensionContext, RedisTopology)} finds a Redis Cluster or a Sentinel setup by the same rule, one of
 * each per run: {@value #CLUSTER_ENV} (comma-separated seed URLs) or {@value #SENTINEL_ENV} (a
 * {@code redis-sentinel://...#master} URL) when set, {@code skip} skipping; else a private {@link RedisClusterProcess}
 * or {@link RedisSentinelProcess} from {@code redis-server} on the PATH; else the tests are skipped with the reason (no
 * container: these need several processes that know each other's addresses).
 */
public final class TestRedis implements AutoCloseable {

    public static final String ENV = "SWITCHBOARD_TEST_REDIS";
    /** The Redis Cluster ITs use: comma-separated seed URLs ({@code redis://127.0.0.1:7000,...}) or {@code skip}. */
    public static final String CLUSTER_ENV = "SWITCHBOARD_TEST_REDIS_CLUSTER";
    /** The Sentinel setup ITs use: {@code redis-sentinel://127.0.0.1:26390,...#mymaster} or {@code skip}. */
    public static final String SENTINEL_ENV = "SWITCHBOARD_TEST_REDIS_SENTINEL";
    static final String IMAGE = "redis:7-alpine";
    private static final Logger log = LoggerFactory.getLogger(TestRedis.class);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(TestRedis.class);

    private final String url;
    private final String skipReason;
    private final String failure;
    /** Stops the Redis this run started; {@code null} when it uses one it did not start. */
    private final Runnable owned;

    private TestRedis(String url, String skipReason, String failure, Runnable owned) {
        this.url = url;
        this.skipReason = skipReason;
        this.failure = failure;
        this.owned = owned;
    }

    /** The Redis of this test run, found (and if need be started) on first use. */
    public static TestRedis of(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(TestRedis.class, k -> resolve(),
                                                                         TestRedis.class);
    }

    /**
     * The Redis of {@code topology} for this test run, found (and if need be started) on first use;
     * {@link RedisTopology#STANDALONE} is {@link #of(ExtensionContext)}.
     */
    public static TestRedis of(ExtensionContext context, RedisTopology topology) {
        if (topology == RedisTopology.STANDALONE) {
            return of(context);
        }
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(topology, k -> resolve(topology),
                                                                         TestRedis.class);
    }

    /**
     * The Redis URL, as the gateway's {@code --redis-url} takes it for the topology (comma-separated seeds for a
     * cluster, a {@code redis-sentinel://} URL for Sentinel); skips the calling test (an assumption) when there is no
     * Redis to be had and fails it when the variable names one that does not answer.
     */
    public String require() {
        if (failure != null) {
            throw new AssertionError(failure);
        }
        Assumptions.assumeTrue(skipReason == null, skipReason);
        return url;
    }

    private static TestRedis resolve() {
        final String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            if (env.trim().equalsIgnoreCase("skip")) {
                return skip(ENV + "=skip");
            }
            final String configured = env.contains("://") ? env.trim() : "redis://" + env.trim();
            final String down = unreachable(configured);
            if (down != null) {
                return new TestRedis(null, null, ENV + '=' + env + " is set but " + down
                                                 + " (unset it to let the tests find or start a Redis, or set it to"
                                                 + " 'skip')", null);
            }
            log.info("Redis ITs use {} ({})", configured, ENV);
            return new TestRedis(configured, null, null, null);
        }
        if (RedisServerProcess.onPath()) {
            try {
                final RedisServerProcess redis = RedisServerProcess.start();
                log.info("Redis ITs use a private {} (redis-server from the PATH)", redis);
                return new TestRedis(redis.url(), null, null, () -> closeQuietly(redis));
            } catch (IOException e) {
                return new TestRedis(null, null, "redis-server is on the PATH but did not start: " + e.getMessage(),
                                     null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return skip("interrupted while starting redis-server");
            }
        }
        final String noDocker = DockerCheck.whyUnavailable();
        if (noDocker != null) {
            return skip("no Redis: " + ENV + " is not set, redis-server is not on the PATH and " + noDocker);
        }
        return container();
    }

    /** The rule for a cluster or a Sentinel setup: its variable, else a private one from the PATH, else skip. */
    private static TestRedis resolve(RedisTopology topology) {
        final boolean cluster = topology == RedisTopology.CLUSTER;
        final String name = cluster ? CLUSTER_ENV : SENTINEL_ENV;
        final String what = cluster ? "Redis Cluster" : "Redis Sentinel setup";
        final String env = System.getenv(name);
        if (env != null && !env.isBlank()) {
            if (env.trim().equalsIgnoreCase("skip")) {
                return skip(topology, name + "=skip");
            }
            final String configured;
            final String down;
            try {
                configured = cluster ? normalizedSeeds(env) : env.trim();
                down = unreachableAll(cluster ? seedAddresses(configured) : sentinelAddresses(configured));
            } catch (IllegalArgumentException e) {
                return new TestRedis(null, null, name + '=' + env + " is not a " + what + " URL: " + e.getMessage(),
                                     null);
            }
            if (down != null) {
                return new TestRedis(null, null, name + '=' + env + " is set but " + down + " (unset it to let the"
                                                 + " tests start a private one, or set it to 'skip')", null);
            }
            log.info("{} ITs use {} ({})", what, configured, name);
            return new TestRedis(configured, null, null, null);
        }
        if (cluster ? !RedisClusterProcess.onPath() : !RedisSentinelProcess.onPath()) {
            final String missing = cluster ? "redis-server and redis-cli are" : "redis-server is";
            return skip(topology, "no " + what + ": " + name + " is not set and " + missing + " not on the PATH");
        }
        try {
            if (cluster) {
                final RedisClusterProcess process = RedisClusterProcess.start();
                log.info("{} ITs use a private {}", what, process);
                return new TestRedis(process.seedUrls(), null, null, () -> closeQuietly(process));
            }
            final RedisSentinelProcess process = RedisSentinelProcess.start();
            log.info("{} ITs use a private {}", what, process);
            return new TestRedis(process.url(), null, null, () -> closeQuietly(process));
        } catch (IOException | AssertionError e) {
            return new TestRedis(null, null, "redis-server is on the PATH but a private " + what + " did not start: "
                                             + e.getMessage(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return skip(topology, "interrupted while starting a private " + what);
        }
    }

    private static TestRedis skip(RedisTopology topology, String reason) {
        final String how = topology == RedisTopology.CLUSTER
                           ? "Set " + CLUSTER_ENV + "=redis://HOST:PORT,redis://HOST:PORT,..."
                             + " (.ci/ensure-redis-cluster.sh)"
                           : "Set " + SENTINEL_ENV + "=redis-sentinel://HOST:PORT,...#MASTER"
                             + " (.ci/ensure-redis-sentinel.sh)";
        return new TestRedis(null, reason + ". " + how + " or install redis-server (apt-get install redis-server)",
                             null, null);
    }

    /** {@code host:port,redis://host:port} as {@code redis://host:port,redis://host:port}. */
    private static String normalizedSeeds(String seeds) {
        final List<String> urls = new ArrayList<>();
        for (String seed : seeds.split(",")) {
            if (!seed.isBlank()) {
                urls.add(seed.contains("://") ? seed.trim() : "redis://" + seed.trim());
            }
        }
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no seed URL");
        }
        return String.join(",", urls);
    }

    private static List<InetSocketAddress> seedAddresses(String seedUrls) {
        final List<InetSocketAddress> addresses = new ArrayList<>();
        for (String seed : seedUrls.split(",")) {
            final URI uri = URI.create(seed);
            addresses.add(InetSocketAddress.createUnresolved(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()));
        }
        return addresses;
    }

    private static List<InetSocketAddress> sentinelAddresses(String sentinelUrl) {
        final RedisURI uri = RedisURI.create(sentinelUrl);
        if (uri.getSentinels().isEmpty() || uri.getSentinelMasterId() == null) {
            throw new IllegalArgumentException("expected redis-sentinel://HOST:PORT,...#MASTER");
        }
        return uri.getSentinels().stream()
                  .map(s -> InetSocketAddress.createUnresolved(s.getHost(), s.getPort()))
                  .toList();
    }

    /** {@code null} if one of {@code addresses} accepts TCP connections (a client needs one), else why none does. */
    private static String unreachableAll(List<InetSocketAddress> addresses) {
        final List<String> down = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            final String why = unreachable("redis://" + a.getHostString() + ':' + a.getPort());
            if (why == null) {
                return null;
            }
            down.add(why);
        }
        return String.join("; ", down);
    }

    private static TestRedis skip(String reason) {
        return new TestRedis(null, reason + ". Set " + ENV + "=HOST:PORT, install redis-server"
                                   + " (apt-get install redis-server) or start a Docker engine that has " + IMAGE, null,
                             null);
    }

    /** A Testcontainers Redis, bounded: no endless pulls. */
    private static TestRedis container() {
        try {
            final var docker = DockerClientFactory.instance().client();
            if (docker.listImagesCmd().withImageNameFilter(IMAGE).exec().isEmpty()) {
                final boolean pulled = docker.pullImageCmd(IMAGE)
                        .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>())
                        .awaitCompletion(60, TimeUnit.SECONDS);
                if (!pulled || docker.listImagesCmd().withImageNameFilter(IMAGE).exec().isEmpty()) {
                    return skip("no Redis: " + ENV + " is not set, redis-server is not on the PATH and the image "
                                + IMAGE + " is not present and could not be pulled");
                }
            }
            final GenericContainer<?> c = new GenericContainer<>(IMAGE).withExposedPorts(6379);
            c.start();
            final String url = "redis://" + c.getHost() + ':' + c.getMappedPort(6379);
            log.info("Redis ITs use a Testcontainers {} at {}", IMAGE, url);
            return new TestRedis(url, null, null, c::stop);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return skip("interrupted while starting a Redis container");
        } catch (RuntimeException e) {
            return skip("no Redis: " + ENV + " is not set, redis-server is not on the PATH and Testcontainers could"
                        + " not start " + IMAGE + " (" + e + ")");
        }
    }

    /** {@code null} if something accepts TCP connections at the URL's host and port, else why not. */
    private static String unreachable(String redisUrl) {
        final URI uri = URI.create(redisUrl);
        final int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), port), 2000);
            return null;
        } catch (IOException | IllegalArgumentException e) {
            return "nothing answers at " + uri.getHost() + ':' + port + " (" + e.getMessage() + ')';
        }
    }

    private static void closeQuietly(AutoCloseable redis) {
        try {
            redis.close();
        } catch (Exception e) {
            log.warn("{}: its temporary directory could not be deleted: {}", redis, e.toString());
        }
    }

    /** Stops the Redis this run started (process or container), if any. */
    @Override
    public void close() {
        if (owned != null) {
            owned.run();
        }
    }
}
