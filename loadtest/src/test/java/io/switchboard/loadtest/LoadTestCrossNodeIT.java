package io.switchboard.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.loadtest.report.Report;
import io.switchboard.loadtest.report.RunResult;
import io.switchboard.loadtest.report.SloGates;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code --agent-url}: users on one cluster node, agents on another (a private {@code redis-server} from the PATH;
 * skipped without one). Every message crosses nodes and the counts must still reconcile exactly.
 */
class LoadTestCrossNodeIT {

    private Process redis;
    private Path redisDir;
    private GatewayServer nodeA;
    private GatewayServer nodeB;

    @BeforeEach
    void startRedisAndTwoNodes() throws Exception {
        assumeTrue(onPath("redis-server"), "no redis-server on the PATH");
        final int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        redisDir = Files.createTempDirectory("lt-redis");
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", redisDir.toString(), "--save", "", "--appendonly", "no")
                .redirectErrorStream(true).redirectOutput(redisDir.resolve("redis.log").toFile()).start();
        awaitListening(port);
        nodeA = node("redis://127.0.0.1:" + port, "lt-a").start();
        nodeB = node("redis://127.0.0.1:" + port, "lt-b").start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (GatewayServer node : new GatewayServer[] {nodeA, nodeB}) {
            if (node != null) {
                node.close();
            }
        }
        if (redis != null) {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
        if (redisDir != null) {
            try (var files = Files.walk(redisDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static GatewayServer node(String redisUrl, String nodeId) {
        return new GatewayServer(GatewayConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .ioThreads(2)
                .shutdownTimeout(Duration.ofSeconds(2))
                .clusterMode(GatewayConfig.Cluster.Mode.REDIS)
                .redisUrl(redisUrl)
                .redisKeyPrefix("ltx:")
                .nodeId(nodeId)
                // Agents answer every message: keep the per-sender limits out of the way of this modest rate.
                .ratePerSecond(100_000)
                .rateBurst(100_000)
                .agentRatePerSecond(100_000)
                .agentRateBurst(100_000)
                .build());
    }

    private static URI base(GatewayServer node) {
        return URI.create("ws://127.0.0.1:" + node.localAddress().getPort() + "/pinter/imserver");
    }

    @Test
    void usersOnOneNodeAgentsOnTheOtherReconcile() throws Exception {
        final LoadTestConfig config = new LoadTestConfig(base(nodeA), "itx", 4, 40, 400.0, Duration.ofSeconds(2),
                Duration.ofSeconds(1), Duration.ofSeconds(20), 1000, 100, null, 1, 64, Duration.ofSeconds(10), 50, 2,
                null, null, new SloGates(null, 0.0, 0L), 0, 1).withAgentUrl(base(nodeB));
        final RunResult result = LoadTestMain.runLocal("chat", config, s -> { }, System::currentTimeMillis);
        final Report report = Report.of(result, config.gates());
        final long sent = result.counter("chat.sent");
        assertEquals(1200, sent);
        assertEquals(44, result.counter("connect.established"));
        assertEquals(40, result.counter("match.ok"));
        assertEquals(sent, result.counter("receipt.0.push-success"), "receipts");
        assertEquals(sent, result.counter("agent.delivered"), "deliveries at agents");
        assertEquals(sent, result.counter("user.replies"), "replies received");
        assertEquals(0, report.summary("lost").longValue());
        assertEquals(0, report.summary("errors").longValue(), () -> result.counters().toString());
        assertTrue(report.passed(), () -> report.violations().toString());

        // Where the connections went: the users only on A, the agents only on B.
        final String a = metrics(nodeA);
        final String b = metrics(nodeB);
        assertEquals(40.0, metric(a, "switchboard_connections_opened_total{role=\"user\"}"));
        assertEquals(0.0, metric(a, "switchboard_connections_opened_total{role=\"agent\"}"));
        assertEquals(0.0, metric(b, "switchboard_connections_opened_total{role=\"user\"}"));
        assertEquals(4.0, metric(b, "switchboard_connections_opened_total{role=\"agent\"}"));
    }

    private static String metrics(GatewayServer node) throws Exception {
        final HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.localAddress().getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode());
        return res.body();
    }

    private static double metric(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + ' ')).mapToDouble(
                l -> Double.parseDouble(l.substring(name.length() + 1).trim())).findFirst().orElse(Double.NaN);
    }

    private static boolean onPath(String exe) {
        final String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    private void awaitListening(int port) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                new Socket("127.0.0.1", port).close();
                return;
            } catch (IOException e) {
                if (!redis.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("redis-server did not start on port " + port + " (see " + redisDir
                            + "/redis.log)", e);
                }
                Thread.sleep(50); // waiting for a child process to listen; there is no event to wait on
            }
        }
    }
}
