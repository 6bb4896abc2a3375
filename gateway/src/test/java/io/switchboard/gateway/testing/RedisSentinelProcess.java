package io.switchboard.gateway.testing;

import io.lettuce.core.RedisClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private Redis Sentinel setup from {@code redis-server} on the PATH: a primary, its replica and three sentinels
 * ({@code redis-server sentinel.conf --sentinel}, quorum 2) monitoring them as {@value #MASTER_NAME}, all on 127.0.0.1
 * and free ports, each in a temporary directory of its own. Every process is a child of this JVM, stopped by its PID
 * (a shutdown hook kills them if the run is cut short).
 *
 * <p>Failures are quick: {@code down-after-milliseconds} is {@value #DOWN_AFTER_MILLIS}, so the sentinels promote the
 * replica a few seconds after the primary stops ({@link #stopPrimary()}, {@link #awaitNewPrimary(int)}). Roles change
 * at run time, so {@link #primaryPort()} asks the sentinels.
 *
 * <pre>{@code
 * try (RedisSentinelProcess sentinel = RedisSentinelProcess.start()) {
 *     RedisClient client = RedisClient.create(sentinel.url());   // Lettuce finds the primary through the sentinels
 *     int old = sentinel.stopPrimary();
 *     int promoted = sentinel.awaitNewPrimary(old);
 * }
 * }</pre>
 */
public final class RedisSentinelProcess implements AutoCloseable {

    /** The name the sentinels monitor the primary under. */
    public static final String MASTER_NAME = "mymaster";
    /** How long the primary may stay silent before a sentinel counts it as down. */
    public static final int DOWN_AFTER_MILLIS = 2000;
    /** Short, so that a failover that stalls is retried soon (after twice this). */
    private static final int FAILOVER_TIMEOUT_MILLIS = 6000;
    private static final int SENTINELS = 3;
    /** Starting, a promotion, and a planned failover with the old primary turned into a replica. */
    private static final Duration BOUND = Duration.ofSeconds(45);
    private static final Logger log = LoggerFactory.getLogger(RedisSentinelProcess.class);

    private final Path root;
    private final List<Integer> redisPorts;
    private final List<Integer> sentinelPorts;
    /** Running processes by port, Redis and sentinels; a stopped one has no entry. The shutdown hook reads it. */
    private final Map<Integer, Process> processes = new ConcurrentSkipListMap<>();
    private final RedisClient admin = RedisProcesses.adminClient();
    private final Thread shutdownHook;

    private RedisSentinelProcess(Path root, List<Integer> ports) {
        this.root = root;
        this.redisPorts = List.copyOf(ports.subList(0, 2));
        this.sentinelPorts = List.copyOf(ports.subList(2, 2 + SENTINELS));
        this.shutdownHook = new Thread(this::destroyAll, "redis-sentinel-" + ports.get(0) + "-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Whether {@code redis-server} is on the PATH (it runs the sentinels too). */
    public static boolean onPath() {
        return RedisProcesses.onPath("redis-server");
    }

    /**
     * Starts the primary, its replica and, once the replica is in sync, the three sentinels; waits until every
     * sentinel monitors the primary, knows the replica and the two other sentinels (so a failover can start).
     */
    public static RedisSentinelProcess start() throws IOException, InterruptedException {
        final long started = System.nanoTime();
        final RedisSentinelProcess setup = new RedisSentinelProcess(Files.createTempDirectory("sb-redis-sentinel"),
                                                                    RedisProcesses.freePorts(2 + SENTINELS));
        try {
            final int primary = setup.redisPorts.get(0);
            setup.startRedis(primary, null);
            setup.startRedis(setup.redisPorts.get(1), primary);
            setup.awaitReplicaInSync(setup.redisPorts.get(1), primary);
            for (int port : setup.sentinelPorts) {
                setup.startSentinel(port, primary);
            }
            setup.awaitSentinelsReady();
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            setup.close();
            throw e;
        }
        log.info("{} ready in {} ms", setup, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return setup;
    }

    /**
     * Lettuce's Sentinel URL, {@code redis-sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3#mymaster}: the gateway's
     * sentinel {@code --redis-url}.
     */
    public String url() {
        return "redis-sentinel://" + sentinelPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","))
               + '#' + MASTER_NAME;
    }

    /** The ports of the two Redis servers (primary first, as started; roles change on failover). */
    public List<Integer> redisPorts() {
        return redisPorts;
    }

    /** The ports of the three sentinels. */
    public List<Integer> sentinelPorts() {
        return sentinelPorts;
    }

    /** The port of the primary now, as the first sentinel that answers announces it. */
    public int primaryPort() {
        RuntimeException last = null;
        for (int port : sentinelPorts) {
            if (processes.containsKey(port)) {
                try {
                    return announcedPrimary(port);
                } catch (RuntimeException e) {
                    last = e;
                }
            }
        }
        throw new IllegalStateException("no sentinel of " + this + " answers", last);
    }

    /** The PID of the Redis server or sentinel on {@code port}. */
    public long pid(int port) {
        return running(port).pid();
    }

    /** Kills the primary (SIGKILL, by its PID: a crash) and returns its port; see {@link #awaitNewPrimary(int)}. */
    public int stopPrimary() throws InterruptedException {
        final int primary = primaryPort();
        RedisProcesses.kill(running(primary));
        processes.remove(primary);
        return primary;
    }

    /**
     * Waits, bounded, until every running sentinel announces the same primary other than {@code oldPrimaryPort} and
     * that server reports {@code role:master}; returns its port.
     */
    public int awaitNewPrimary(int oldPrimaryPort) throws InterruptedException {
        final long started = System.nanoTime();
        final int[] promoted = new int[1];
        RedisProcesses.await(BOUND, () -> {
            Integer agreed = null;
            for (int s : sentinelPorts) {
                if (processes.containsKey(s)) {
                    final int announced = announcedPrimary(s);
                    if (announced == oldPrimaryPort || agreed != null && agreed != announced) {
                        return false;
                    }
                    agreed = announced;
                }
            }
            if (agreed == null || !"master".equals(role(agreed))) {
                return false;
            }
            promoted[0] = agreed;
            return true;
        }, () -> "the sentinels to announce a primary other than " + oldPrimaryPort);
        log.info("{}: {} announced as the primary in place of {} after {} ms", this, promoted[0], oldPrimaryPort,
                 TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return promoted[0];
    }

    /**
     * {@code SENTINEL FAILOVER mymaster}: a planned failover to the replica. Waits, bounded, until the sentinels
     * announce it as the primary and have turned the old primary into its replica, in sync: about ten seconds, since a
     * sentinel waits that long before it reconfigures a server that still claims to be a primary. Until then the old
     * primary accepts the writes of clients still connected to it; when the sentinel reconfigures it, it also closes
     * their connections, and clients that resolve the primary through the sentinels (Lettuce's
     * {@code redis-sentinel://}) reconnect to the new one. Returns the new primary's port.
     */
    public int failover() throws InterruptedException {
        final int old = primaryPort();
        final int sentinel = sentinelPorts.stream().filter(processes::containsKey).findFirst().orElseThrow();
        RedisProcesses.onSentinel(admin, sentinel, c -> c.failover(MASTER_NAME));
        final long started = System.nanoTime();
        final int promoted = awaitNewPrimary(old);
        if (processes.containsKey(old)) {
            awaitReplicaInSync(old, promoted);
        }
        log.info("{}: planned failover from {} to {} done (old primary in sync as a replica) in {} ms", this, old,
                 promoted, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return promoted;
    }

    /**
     * Starts the Redis server on {@code port} again (after {@link #stopPrimary()}) as a replica of the current primary,
     * as an operator restarts a failed primary, and waits, bounded, until it is in sync. It has no data of its own (no
     * persistence), so it must not come back as a primary.
     */
    public void startAgain(int port) throws IOException, InterruptedException {
        if (!redisPorts.contains(port)) {
            throw new IllegalArgumentException("port: " + port + " (expected one of " + redisPorts + ')');
        }
        if (processes.containsKey(port)) {
            throw new IllegalStateException("Redis on " + port + " runs already");
        }
        final int primary = primaryPort();
        startRedis(port, primary);
        awaitReplicaInSync(port, primary);
    }

    private void startRedis(int port, Integer primaryPort) throws IOException, InterruptedException {
        final Path dir = Files.createDirectories(root.resolve(Integer.toString(port)));
        // A config file of its own, so that a sentinel's CONFIG REWRITE (after it reconfigures a server) works.
        final Path conf = dir.resolve("redis.conf");
        if (!Files.exists(conf)) {
            Files.writeString(conf, String.join("\n", "port " + port, "bind 127.0.0.1", "dir " + dir,
                                                "save \"\"", "appendonly no", "repl-diskless-sync-delay 0", ""),
                        StandardCharsets.UTF_8);
        }
        final List<String> command = new ArrayList<>(List.of("redis-server", conf.toString()));
        if (primaryPort != null) {
            command.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(primaryPort)));
        }
        processes.put(port, RedisProcesses.launch(command, dir, port));
    }

    private void startSentinel(int port, int primaryPort) throws IOException, InterruptedException {
        final Path dir = Files.createDirectories(root.resolve(Integer.toString(port)));
        final Path conf = dir.resolve("sentinel.conf"); // a sentinel rewrites its file: it must be its own
        Files.writeString(conf, String.join("\n",
                                            "port " + port,
                                            "bind 127.0.0.1",
                                            "dir " + dir,
                                            "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + primaryPort + " 2",
                                            "sentinel down-after-milliseconds " + MASTER_NAME + ' '
                                            + DOWN_AFTER_MILLIS,
                                            "sentinel failover-timeout " + MASTER_NAME + ' '
                                            + FAILOVER_TIMEOUT_MILLIS,
                                            "sentinel parallel-syncs " + MASTER_NAME + " 1",
                                            ""), StandardCharsets.UTF_8);
        processes.put(port, RedisProcesses.launch(List.of("redis-server", conf.toString(), "--sentinel"), dir,
                                                  port));
    }

    private void awaitReplicaInSync(int replicaPort, int primaryPort) throws InterruptedException {
        RedisProcesses.await(BOUND, () -> {
            final Map<String, String> replication = RedisProcesses.fields(
                    RedisProcesses.onNode(admin, replicaPort, c -> c.info("replication")));
            return "slave".equals(replication.get("role"))
                   && Integer.toString(primaryPort).equals(replication.get("master_port"))
                   && "up".equals(replication.get("master_link_status"));
        }, () -> replicaPort + " to be an in-sync replica of " + primaryPort);
    }

    /** Every sentinel sees the primary up, the replica up and in sync, and the two other sentinels. */
    private void awaitSentinelsReady() throws InterruptedException {
        final String[] problem = {"no answer yet"};
        RedisProcesses.await(BOUND, () -> {
            for (int s : sentinelPorts) {
                final Map<String, String> master = RedisProcesses.onSentinel(admin, s, c -> c.master(MASTER_NAME));
                final List<Map<String, String>> replicas = RedisProcesses.onSentinel(
                        admin, s, c -> c.replicas(MASTER_NAME));
                if (!"master".equals(master.get("flags"))
                    || !Integer.toString(SENTINELS - 1).equals(master.get("num-other-sentinels"))
                    || replicas.size() != 1 || !"slave".equals(replicas.get(0).get("flags"))
                    || !"ok".equals(replicas.get(0).get("master-link-status"))) {
                    problem[0] = "sentinel " + s + ": primary flags " + master.get("flags") + ", other sentinels "
                                 + master.get("num-other-sentinels") + ", replicas " + replicas;
                    return false;
                }
            }
            return true;
        }, () -> "the sentinels of " + this + " to be ready (" + problem[0] + ')');
    }

    private int announcedPrimary(int sentinelPort) {
        return ((InetSocketAddress) RedisProcesses.onSentinel(admin, sentinelPort,
                                                              c -> c.getMasterAddrByName(MASTER_NAME))).getPort();
    }

    private String role(int redisPort) {
        return RedisProcesses.fields(RedisProcesses.onNode(admin, redisPort, c -> c.info("replication")))
                             .get("role");
    }

    private Process running(int port) {
        final Process p = processes.get(port);
        if (p == null) {
            throw new IllegalStateException("nothing of " + this + " runs on " + port);
        }
        return p;
    }

    private void destroyAll() {
        processes.values().forEach(Process::destroyForcibly);
    }

    /** Kills every process (sentinels first, so none starts a failover), waits for the exits, deletes the files. */
    @Override
    public void close() throws IOException {
        final List<Process> all = new ArrayList<>();
        for (int port : sentinelPorts) {
            final Process p = processes.remove(port);
            if (p != null) {
                all.add(p);
            }
        }
        all.addAll(processes.values());
        processes.clear();
        RedisProcesses.tearDown(all, admin, shutdownHook, root);
    }

    @Override
    public String toString() {
        return "Redis Sentinel setup (Redis " + redisPorts + ", sentinels " + sentinelPorts + ") on 127.0.0.1";
    }
}
