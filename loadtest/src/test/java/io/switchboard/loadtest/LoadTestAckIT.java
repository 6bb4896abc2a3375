package io.switchboard.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.loadtest.report.Report;
import io.switchboard.loadtest.report.ReportWriters;
import io.switchboard.loadtest.report.RunResult;
import io.switchboard.loadtest.report.SloGates;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chat --ack} against an in-process gateway with a data directory: acknowledging connections, and a gateway
 * restart in the middle of the run that every connection must come back from (reconnect with {@code since}, resend
 * what had no receipt) with nothing lost and nothing seen twice by the scenario.
 */
class LoadTestAckIT {

    @TempDir
    Path dataDir;

    private GatewayServer gateway;
    private int port;

    @AfterEach
    void stopGateway() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    private void startGateway(int onPort) throws InterruptedException {
        gateway = new GatewayServer(GatewayConfig.builder()
                .host("127.0.0.1")
                .port(onPort)
                .dataDir(dataDir.toString())
                .reconnectGrace(Duration.ofSeconds(30))
                .shutdownTimeout(Duration.ofSeconds(2))
                // Agents answer every message: keep the per-sender limit out of the way of this modest rate.
                .ratePerSecond(100_000)
                .rateBurst(100_000)
                .build()).start();
        port = gateway.localAddress().getPort();
    }

    private LoadTestConfig config(String prefix) {
        return new LoadTestConfig(URI.create("ws://127.0.0.1:" + port + "/pinter/imserver"), prefix, 4, 40, 400.0,
                Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofSeconds(20), 1000, 100, null, 1, 64,
                Duration.ofSeconds(10), 50, 2, null, null, new SloGates(null, null, 0L), 0, 1, true, null, false);
    }

    private static void assertReconciled(RunResult result, Report report) {
        final long sent = result.counter("chat.sent");
        assertEquals(1600, sent, "open loop: rate x (warmup + duration)");
        assertEquals(sent, result.counter("receipt.0.push-success") + result.counter("receipt.0.stored-offline"),
                () -> result.counters().toString());
        assertEquals(sent, result.counter("agent.delivered"), () -> "deliveries at agents: " + result.counters());
        assertEquals(sent, result.counter("user.replies"), () -> "replies received: " + result.counters());
        assertEquals(0, report.summary("lost").longValue());
        assertEquals(0, report.summary("duplicates").longValue(),
                () -> "duplicates seen by the scenario: " + result.counters());
        assertEquals(0, report.summary("reordered").longValue());
        assertEquals(0, report.summary("seqGaps").longValue());
        assertEquals(0, report.summary("errors").longValue(), () -> result.counters().toString());
        assertTrue(report.summary("acksSent").longValue() > 0, "acks");
        assertTrue(report.passed(), () -> report.violations().toString());
    }

    @Test
    void ackedChatReconcilesAndReportsItsCounters() throws Exception {
        startGateway(0);
        final RunResult result = LoadTestMain.runLocal("chat", config("itack"), s -> { }, System::currentTimeMillis);
        final Report report = Report.of(result, config("itack").gates());
        assertReconciled(result, report);
        assertEquals(0, report.summary("reconnects").longValue(), () -> result.counters().toString());
        assertEquals(0, report.summary("seqDuplicatesSuppressed").longValue(), () -> result.counters().toString());
        // Agents acknowledge every user message, so users hear "delivered"; the drain waits for replies, not for
        // these notices, so the last ones may come after the run has closed its connections.
        final long notices = result.counter("ack.delivered.user");
        assertTrue(notices > 0 && notices <= 1600, "delivered notices: " + notices);
        assertTrue(ReportWriters.table(report).contains("seqDuplicatesSuppressed"));
    }

    @Test
    void ackedChatComesBackFromAGatewayRestartWithNothingLostOrSeenTwice() throws Exception {
        startGateway(0);
        final CompletableFuture<Void> midway = new CompletableFuture<>();
        final CompletableFuture<RunResult> run = CompletableFuture.supplyAsync(() -> {
            try {
                return LoadTestMain.runLocal("chat", config("itackr"), s -> {
                    if (s.sent() >= 400) {
                        midway.complete(null);
                    }
                }, System::currentTimeMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        midway.get(30, TimeUnit.SECONDS);
        gateway.close();
        startGateway(port);

        final RunResult result = run.get(60, TimeUnit.SECONDS);
        final Report report = Report.of(result, config("itackr").gates());
        assertReconciled(result, report);
        // Closed with 1001, or without a close frame when the shutdown timeout ran out: every one of them.
        assertEquals(44, result.sumPrefix("ack.closed."), () -> result.counters().toString());
        assertEquals(44, report.summary("reconnects").longValue(), "every connection came back");
        assertEquals(0, result.counter("error.ack.reconnect-gave-up"));
    }
}
