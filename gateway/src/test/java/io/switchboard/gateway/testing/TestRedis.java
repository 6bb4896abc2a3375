package io.switchboard.gateway.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
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
 */
public final class TestRedis implements AutoCloseable {

    public static final String ENV = "SWITCHBOARD_TEST_REDIS";
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
     * The Redis URL; skips the calling test (an assumption) when there is no Redis to be had and fails it when
     * {@code SWITCHBOARD_TEST_REDIS} names one that does not answer.
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

    private static void closeQuietly(RedisServerProcess redis) {
        try {
            redis.close();
        } catch (IOException e) {
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
