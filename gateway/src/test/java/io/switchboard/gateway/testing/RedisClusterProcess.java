package io.switchboard.gateway.testing;

import io.lettuce.core.RedisClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private Redis Cluster of three masters and three replicas, from {@code redis-server} and {@code redis-cli} on the
 * PATH: six nodes on 127.0.0.1 and free ports, each in a temporary directory of its own, joined with
 * {@code redis-cli --cluster create ... --cluster-replicas 1}. Every node is a child of this JVM, stopped by its PID
 * (a shutdown hook kills them if the run is cut short).
 *
 * <p>Failures are quick: {@code cluster-node-timeout} is {@value #NODE_TIMEOUT_MILLIS} ms, so a replica is promoted a
 * few seconds after its master stops ({@link #stopNode(int)}, {@link #awaitPromotion(int)}), and
 * {@code cluster-replica-validity-factor 0} lets any replica take over however long it was cut off. Roles change at
 * run time, so every question about them ({@link #masterPorts()}, {@link #masterPortForKey(String)}) asks the nodes.
 *
 * <pre>{@code
 * try (RedisClusterProcess cluster = RedisClusterProcess.start()) {
 *     int master = cluster.masterPortForKey("{user-1}:hold");
 *     cluster.stopNode(master);
 *     int promoted = cluster.awaitPromotion(master);
 * }
 * }</pre>
 */
public final class RedisClusterProcess implements AutoCloseable {

    /** How long a node may stay silent before the others count it as failed. */
    public static final int NODE_TIMEOUT_MILLIS = 2000;
    /** Redis Cluster's hash slots. */
    public static final int SLOTS = 16384;
    /** How long forming the cluster, a promotion or a failover may take. */
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final int MASTERS = 3;
    private static final Logger log = LoggerFactory.getLogger(RedisClusterProcess.class);

    private final Path root;
    private final List<Integer> ports;
    private final boolean persistent;
    /** Running nodes by port; a stopped node has no entry. Concurrent: the shutdown hook reads it. */
    private final Map<Integer, Process> processes = new ConcurrentSkipListMap<>();
    private final RedisClient admin = RedisProcesses.adminClient();
    private final Thread shutdownHook;

    private RedisClusterProcess(Path root, List<Integer> ports, boolean persistent) {
        this.root = root;
        this.ports = List.copyOf(ports);
        this.persistent = persistent;
        this.shutdownHook = new Thread(this::destroyAll, "redis-cluster-" + ports.get(0) + "-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Whether {@code redis-server} and {@code redis-cli} (Debian's redis-tools) are on the PATH. */
    public static boolean onPath() {
        return RedisProcesses.onPath("redis-server", "redis-cli");
    }

    /** Starts a throw-away cluster (no persistence) and waits until every slot is served. */
    public static RedisClusterProcess start() throws IOException, InterruptedException {
        return start(false);
    }

    /** Starts a cluster whose nodes keep an append-only file, as production should run them. */
    public static RedisClusterProcess startPersistent() throws IOException, InterruptedException {
        return start(true);
    }

    private static RedisClusterProcess start(boolean persistent) throws IOException, InterruptedException {
        final long started = System.nanoTime();
        final RedisClusterProcess cluster = new RedisClusterProcess(Files.createTempDirectory("sb-redis-cluster"),
                                                                    RedisProcesses.freePorts(2 * MASTERS),
                                                                    persistent);
        try {
            for (int port : cluster.ports) {
                Files.createDirectories(cluster.dir(port));
                cluster.startNode(port);
            }
            cluster.create();
            cluster.awaitHealthy();
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            cluster.close();
            throw e;
        }
        log.info("{} formed in {} ms", cluster, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return cluster;
    }

    private void create() throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        ports.forEach(p -> command.add("127.0.0.1:" + p));
        command.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        final Path log = root.resolve("cluster-create.log");
        final Process create = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                                                          .start();
        if (!create.waitFor(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
            RedisProcesses.kill(create);
            throw new IOException("redis-cli --cluster create did not finish in " + BOUND.toSeconds() + " s: "
                                  + RedisProcesses.tail(log));
        }
        if (create.exitValue() != 0) {
            throw new IOException("redis-cli --cluster create failed: " + RedisProcesses.tail(log));
        }
    }

    /** Every node's {@code redis://127.0.0.1:PORT}, comma-separated: the gateway's cluster {@code --redis-url}. */
    public String seedUrls() {
        return ports.stream().map(p -> "redis://127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /** The ports of all six nodes, running or not, in the order they were started. */
    public List<Integer> ports() {
        return ports;
    }

    /** The ports of the nodes that serve slots now, as the first running node sees it. */
    public List<Integer> masterPorts() {
        return view().values().stream().filter(n -> n.master() && !n.slots().isEmpty()).map(ClusterNode::port)
                     .sorted().toList();
    }

    /** The ports of the replicas now, as the first running node sees it (a failed one included). */
    public List<Integer> replicaPorts() {
        return view().values().stream().filter(n -> !n.master()).map(ClusterNode::port).sorted().toList();
    }

    /** The ports of the replicas of the master on {@code masterPort}, as the first running node sees it. */
    public List<Integer> replicaPortsOf(int masterPort) {
        final Map<String, ClusterNode> nodes = view();
        final String masterId = nodes.values().stream().filter(n -> n.port() == masterPort).map(ClusterNode::id)
                                     .findFirst()
                                     .orElseThrow(() -> new IllegalArgumentException("no node on " + masterPort));
        return nodes.values().stream().filter(n -> masterId.equals(n.masterId())).map(ClusterNode::port).sorted()
                    .toList();
    }

    /** The hash slot of {@code key} ({@code CLUSTER KEYSLOT}, so hash tags count as Redis counts them). */
    public int slotForKey(String key) {
        return RedisProcesses.onNode(admin, anyRunningPort(), c -> c.clusterKeyslot(key)).intValue();
    }

    /** The port of the master serving {@code slot} now, as the first running node sees it. */
    public int masterPortForSlot(int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot: " + slot + " (expected: 0-" + (SLOTS - 1) + ')');
        }
        return masterForSlot(view(), slot);
    }

    /** The port of the master serving {@code key} now. */
    public int masterPortForKey(String key) {
        return masterPortForSlot(slotForKey(key));
    }

    /** The PID of the node on {@code port}. */
    public long pid(int port) {
        return running(port).pid();
    }

    /** Whether the node on {@code port} runs (it was not stopped, or was started again). */
    public boolean isRunning(int port) {
        final Process p = processes.get(port);
        return p != null && p.isAlive();
    }

    /**
     * Kills the node on {@code port} (SIGKILL, by its PID: a crash, nothing flushed) and waits for its exit. If it was
     * a master, {@link #awaitPromotion(int)} waits for a replica to take its slots.
     */
    public void stopNode(int port) throws InterruptedException {
        RedisProcesses.kill(running(port));
        processes.remove(port);
    }

    /**
     * Starts the node on {@code port} again, on its directory: it keeps its {@code nodes.conf}, so it rejoins the
     * cluster (as a replica of whoever was promoted in its place). Returns once it listens.
     */
    public void startNode(int port) throws IOException, InterruptedException {
        if (!ports.contains(port)) {
            throw new IllegalArgumentException("port: " + port + " (expected one of " + ports + ')');
        }
        if (isRunning(port)) {
            throw new IllegalStateException("node on " + port + " runs already");
        }
        final List<String> command = new ArrayList<>(List.of(
                "redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir",
                dir(port).toString(), "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", Integer.toString(NODE_TIMEOUT_MILLIS),
                "--cluster-replica-validity-factor", "0", "--repl-diskless-sync-delay", "0", "--save", "",
                "--appendonly", persistent ? "yes" : "no"));
        processes.put(port, RedisProcesses.launch(command, dir(port), port));
    }

    /**
     * Waits, bounded, until a replica of the master that ran on {@code stoppedMasterPort} serves its slots in the view
     * of every running node and the cluster is healthy again ({@link #awaitHealthy()}); returns the new master's port.
     */
    public int awaitPromotion(int stoppedMasterPort) throws InterruptedException {
        final long started = System.nanoTime();
        final int slot = firstSlotOf(stoppedMasterPort);
        final int[] promoted = new int[1];
        RedisProcesses.await(BOUND, () -> {
            final Integer agreed = agreedMasterForSlot(slot);
            if (agreed == null || agreed == stoppedMasterPort) {
                return false;
            }
            promoted[0] = agreed;
            return true;
        }, () -> "a replica of " + stoppedMasterPort + " to be promoted (slot " + slot + ')');
        awaitHealthy();
        log.info("{}: {} took over from {} in {} ms", this, promoted[0], stoppedMasterPort,
                 TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return promoted[0];
    }

    /**
     * {@code CLUSTER FAILOVER} on the replica on {@code replicaPort}: a planned failover, in which the master hands
     * over after the replica caught up. Waits, bounded, until every running node sees the replica as the master of
     * its slots and the cluster is healthy again (the old master is then its replica).
     */
    public void failover(int replicaPort) throws InterruptedException {
        final ClusterNode replica = view().values().stream().filter(n -> n.port() == replicaPort).findFirst()
                                          .orElseThrow(() -> new IllegalArgumentException(
                                                  "replicaPort: " + replicaPort + " (no such node)"));
        if (replica.master()) {
            throw new IllegalArgumentException("replicaPort: " + replicaPort + " (a master, expected a replica)");
        }
        final int oldMasterPort = view().get(replica.masterId()).port();
        final int slot = firstSlotOf(oldMasterPort);
        final long started = System.nanoTime();
        RedisProcesses.onNode(admin, replicaPort, c -> c.clusterFailover(false));
        RedisProcesses.await(BOUND, () -> Integer.valueOf(replicaPort).equals(agreedMasterForSlot(slot)),
                             () -> replicaPort + " to take over slot " + slot + " from " + oldMasterPort);
        awaitHealthy();
        log.info("{}: planned failover from {} to {} in {} ms", this, oldMasterPort, replicaPort,
                 TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /**
     * Waits, bounded, until every running node reports {@code cluster_state:ok} with all {@value #SLOTS} slots
     * served, all of them agree on which master serves which slot, and every running replica is in sync with its
     * master ({@code master_link_status:up}).
     */
    public void awaitHealthy() throws InterruptedException {
        final String[] problem = {"no answer yet"};
        RedisProcesses.await(BOUND, () -> {
            problem[0] = healthProblem();
            return problem[0] == null;
        }, () -> this + " to be healthy (" + problem[0] + ')');
    }

    /** {@code null} when healthy (see {@link #awaitHealthy()}), else the first problem found. */
    private String healthProblem() {
        Map<Integer, Integer> agreed = null;
        for (int port : processes.keySet()) {
            final Map<String, String> info = RedisProcesses.fields(RedisProcesses.onNode(admin, port,
                                                                                         c -> c.clusterInfo()));
            if (!"ok".equals(info.get("cluster_state"))
                || !Integer.toString(SLOTS).equals(info.get("cluster_slots_ok"))) {
                return port + ": cluster_state:" + info.get("cluster_state") + ", cluster_slots_ok:"
                       + info.get("cluster_slots_ok");
            }
            final Map<String, ClusterNode> nodes = parseNodes(RedisProcesses.onNode(admin, port,
                                                                                    c -> c.clusterNodes()));
            final Map<Integer, Integer> layout = layout(nodes);
            if (agreed == null) {
                agreed = layout;
            } else if (!agreed.equals(layout)) {
                return port + " sees " + layout + ", another node " + agreed;
            }
            final ClusterNode myself = nodes.values().stream().filter(ClusterNode::myself).findFirst().orElseThrow();
            if (!myself.master()) {
                final Map<String, String> replication = RedisProcesses.fields(
                        RedisProcesses.onNode(admin, port, c -> c.info("replication")));
                if (!"up".equals(replication.get("master_link_status"))) {
                    return "replica " + port + ": master_link_status:" + replication.get("master_link_status");
                }
            }
        }
        return null;
    }

    /** The master serving {@code slot} if every running node agrees on it, else {@code null}. */
    private Integer agreedMasterForSlot(int slot) {
        Integer agreed = null;
        for (int port : processes.keySet()) {
            final int owner = masterForSlot(parseNodes(RedisProcesses.onNode(admin, port, c -> c.clusterNodes())),
                                            slot);
            if (agreed != null && agreed != owner) {
                return null;
            }
            agreed = owner;
        }
        return agreed;
    }

    /**
     * The cluster's layout as one node sees it, to compare views: the port serving each slot range (keyed by the
     * range's first slot) and, keyed by the negated port, the master of each replica (0 for a master or unknown).
     */
    private static Map<Integer, Integer> layout(Map<String, ClusterNode> nodes) {
        final Map<Integer, Integer> layout = new HashMap<>();
        for (ClusterNode n : nodes.values()) {
            for (int[] range : n.slots()) {
                layout.put(range[0], n.port());
            }
            final ClusterNode master = n.master() ? null : nodes.get(n.masterId());
            layout.put(-n.port(), master == null ? 0 : master.port());
        }
        return layout;
    }

    private int firstSlotOf(int masterPort) {
        return view().values().stream().filter(n -> n.port() == masterPort && !n.slots().isEmpty())
                     .map(n -> n.slots().get(0)[0]).findFirst()
                     .orElseThrow(() -> new IllegalArgumentException(masterPort + " serves no slots"));
    }

    private static int masterForSlot(Map<String, ClusterNode> nodes, int slot) {
        for (ClusterNode n : nodes.values()) {
            for (int[] range : n.slots()) {
                if (slot >= range[0] && slot <= range[1]) {
                    return n.port();
                }
            }
        }
        throw new IllegalStateException("slot " + slot + " is not served");
    }

    /** {@code CLUSTER NODES} of the first running node that answers, by node id. */
    private Map<String, ClusterNode> view() {
        RuntimeException last = null;
        for (int port : processes.keySet()) {
            try {
                return parseNodes(RedisProcesses.onNode(admin, port, c -> c.clusterNodes()));
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no node of " + this + " answers", last);
    }

    private int anyRunningPort() {
        return processes.keySet().stream().findFirst()
                        .orElseThrow(() -> new IllegalStateException("no node of " + this + " runs"));
    }

    /**
     * One line of {@code CLUSTER NODES}:
     * {@code <id> <ip:port@cport> <flags> <master-id|-> <ping> <pong> <epoch> <link> <slot-range>...}; slots being
     * migrated ({@code [...]}) are left out.
     */
    private record ClusterNode(String id, int port, boolean myself, boolean master, String masterId,
                               List<int[]> slots) {

        static ClusterNode parse(String line) {
            final String[] f = line.trim().split(" ");
            final String address = f[1].substring(0, f[1].indexOf('@'));
            final int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            final List<String> flags = List.of(f[2].split(","));
            final List<int[]> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue;
                }
                final int dash = f[i].indexOf('-');
                slots.add(dash < 0 ? new int[] {Integer.parseInt(f[i]), Integer.parseInt(f[i])}
                                   : new int[] {Integer.parseInt(f[i].substring(0, dash)),
                                                Integer.parseInt(f[i].substring(dash + 1))});
            }
            return new ClusterNode(f[0], port, flags.contains("myself"), flags.contains("master"),
                                   "-".equals(f[3]) ? null : f[3], Collections.unmodifiableList(slots));
        }
    }

    private static Map<String, ClusterNode> parseNodes(String clusterNodes) {
        final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
        for (String line : clusterNodes.split("\r?\n")) {
            if (!line.isBlank()) {
                final ClusterNode n = ClusterNode.parse(line);
                nodes.put(n.id(), n);
            }
        }
        return nodes;
    }

    private Process running(int port) {
        final Process p = processes.get(port);
        if (p == null) {
            throw new IllegalStateException("no node runs on " + port + " (nodes: " + ports + ')');
        }
        return p;
    }

    private Path dir(int port) {
        return root.resolve(Integer.toString(port));
    }

    private void destroyAll() {
        processes.values().forEach(Process::destroyForcibly);
    }

    /** Kills every node, waits for their exits and deletes their directories. */
    @Override
    public void close() throws IOException {
        final List<Process> all = List.copyOf(processes.values());
        processes.clear();
        RedisProcesses.tearDown(all, admin, shutdownHook, root);
    }

    @Override
    public String toString() {
        return "Redis Cluster on 127.0.0.1:" + ports;
    }
}
