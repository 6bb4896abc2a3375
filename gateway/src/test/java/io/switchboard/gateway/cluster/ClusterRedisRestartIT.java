package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.protocol.Envelope;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis goes away during a chat and comes back (restarted with its AOF, as production should run it): meanwhile a
 * same-node pair keeps chatting, new matches and cross-node messages fail with {@code UNAVAILABLE}; afterwards the
 * nodes have reconnected by themselves and everything works again. Needs its own {@code redis-server} (it restarts
 * it): taken from the PATH, else the test is skipped.
 */
class ClusterRedisRestartIT {

    private Path dir;
    private int port;
    private Process redis;
    private ClusterTestSupport cluster;
    private List<GatewayServer> nodes;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(onPath("redis-server"), "redis-server is not on the PATH (apt-get install redis-server)");
        dir = Files.createTempDirectory("sb-redis");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        startRedis();
        cluster = new ClusterTestSupport("redis://127.0.0.1:" + port);
        nodes = cluster.startNodes(2, b -> b);
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (redis != null) {
            redis.destroy();
            redis.waitFor(5, TimeUnit.SECONDS);
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void sameNodePairsChatThroughAnOutageAndTheClusterRecovers() throws Exception {
        try (WsClient agent = WsClient.agent(cluster.clients, nodes.get(0).localAddress(), "agent-x");
             WsClient near = WsClient.user(cluster.clients, nodes.get(0).localAddress(), "near");
             WsClient far = WsClient.user(cluster.clients, nodes.get(1).localAddress(), "far");
             WsClient late = WsClient.user(cluster.clients, nodes.get(0).localAddress(), "late")) {
            ClusterSessionIT.awaitTrue(() -> cluster.redis().zscore(cluster.prefix + "pool", "agent-x") != null,
                                       "agent in pool");
            near.send("match", "m", "system", null);
            assertEquals("agent-x", near.next().msg());
            far.send("match", "m", "system", null);
            assertEquals("agent-x", far.next().msg());
            agent.next();
            agent.next();

            redis.destroy(); // SIGTERM: Redis flushes its AOF and exits
            redis.waitFor(10, TimeUnit.SECONDS);

            // Same node, pairing known locally: no Redis needed.
            near.send("normal", "n1", "agent-x", "still here");
            assertEquals("still here", agent.nextOfType("normal", Duration.ofSeconds(5)).msg());
            assertEquals("push success", near.nextOfType("receipt", Duration.ofSeconds(5)).msg());
            agent.send("normal", "n2", "near", "me too");
            assertEquals("me too", near.nextOfType("normal", Duration.ofSeconds(5)).msg());
            // New matches fail with a clear reason.
            late.send("match", "m", "system", null);
            final Envelope refused = late.nextOfType("match", Duration.ofSeconds(5));
            assertEquals("UNAVAILABLE", refused.reason());
            assertEquals("服务暂不可用", refused.msg());
            // Across nodes the directory is needed: the sender is told, nothing is lost silently.
            far.send("normal", "f1", "agent-x", "hello?");
            assertEquals("UNAVAILABLE", far.nextOfType("receipt", Duration.ofSeconds(5)).reason());

            startRedis();
            // The nodes reconnect by themselves (backoff up to 5 s): retry until the cross-node path works again.
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            Envelope receipt;
            int attempt = 0;
            do {
                far.send("normal", "r" + attempt++, "agent-x", "back?");
                receipt = far.nextOfType("receipt", Duration.ofSeconds(5));
            } while (!"push success".equals(receipt.msg()) && System.nanoTime() < deadline
                     && sleepBriefly());
            assertEquals("push success", receipt.msg(), receipt.toString());
            assertEquals("back?", agent.nextOfType("normal", Duration.ofSeconds(5)).msg());
            late.send("match", "m2", "system", null);
            assertEquals("agent-x", late.nextOfType("match", Duration.ofSeconds(5)).msg());
        }
    }

    private void startRedis() throws IOException, InterruptedException {
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                                   "--dir", dir.toString(), "--appendonly", "yes", "--save", "")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("redis-server did not start on port " + port, e);
                }
                Thread.sleep(50); // waiting for a child process to listen; there is no event to wait on
            }
        }
    }

    private static boolean sleepBriefly() throws InterruptedException {
        Thread.sleep(200);
        return true;
    }

    private static boolean onPath(String command) {
        final String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }
}
