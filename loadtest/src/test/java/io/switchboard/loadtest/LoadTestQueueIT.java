package io.switchboard.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.loadtest.report.Report;
import io.switchboard.loadtest.report.ReportWriters;
import io.switchboard.loadtest.report.RunResult;
import io.switchboard.loadtest.report.SloGates;
import io.switchboard.loadtest.scenario.QueueScenario;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queue scenario against an in-process gateway whose agents serve 2 users each: 4 agents, 30 users, so 22 wait
 * at the start; users leave after short conversations and queue again. The counts must reconcile, nobody is matched
 * twice, no agent goes above its capacity, and the wait is in the report.
 */
class LoadTestQueueIT {

    private static final int CAPACITY = 2;

    private GatewayServer gateway;
    private URI base;

    @BeforeEach
    void startGateway() throws Exception {
        gateway = new GatewayServer(GatewayConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .dataDir("")
                .agentCapacity(CAPACITY)
                .ratePerSecond(100_000)
                .rateBurst(100_000)
                .build()).start();
        base = URI.create("ws://127.0.0.1:" + gateway.localAddress().getPort() + "/pinter/imserver");
    }

    @AfterEach
    void stopGateway() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void usersQueueAreMatchedAsPlacesFreeUpAndTheWaitIsReported() throws Exception {
        final LoadTestConfig config = new LoadTestConfig(base, "itq", 4, 30, null, Duration.ofSeconds(3),
                Duration.ZERO, Duration.ofSeconds(30), 1000, 100, null, 1, 64, Duration.ofSeconds(10), CAPACITY, 2,
                null, null, new SloGates(null, 0.0, 0L), 0, 1);
        final QueueScenario.Options options = new QueueScenario.Options(2, Duration.ofMillis(20));
        final RunResult result = LoadTestMain.runLocal(
                (c, resources, connector) -> new QueueScenario(c, resources, connector, options), config, s -> { },
                System::currentTimeMillis);
        final Report report = Report.of(result, config.gates());
        final Map<String, Long> counters = result.counters();

        assertEquals(34, result.counter("connect.established"));
        assertEquals(0, report.summary("errors").longValue(), counters::toString);
        final long asked = result.counter("queue.asked");
        final long matched = result.counter("queue.matched-at-once") + result.counter("queue.matched-from-queue");
        // At the start 8 places for 30 users: at least 22 had to wait, and the turnover gave every place to a waiting
        // user at least once.
        assertTrue(result.counter("queue.queued") >= 22, counters::toString);
        assertTrue(result.counter("queue.matched-from-queue") >= 8, counters::toString);
        assertTrue(result.counter("queue.position-updates") > 0, counters::toString);
        // Every request ended one way: matched, or still waiting when the run stopped (then it left the queue).
        assertEquals(asked, matched + result.counter("queue.left-at-stop") + result.sumPrefix("queue.refused."),
                counters::toString);
        assertEquals(0, result.sumPrefix("queue.refused."), counters::toString);
        // A match after the leave's receipt only for users who left the queue at the stop (the notice was in flight).
        assertTrue(result.counter("queue.match-after-leave") <= result.counter("queue.left-at-stop"),
                counters::toString);
        // Each match led to a conversation that ended with the user's leave.
        assertEquals(matched, result.counter("queue.conversations-completed"), counters::toString);
        assertEquals(0, result.counter("error.queue.matched-twice"), counters::toString);
        assertEquals(result.counter("chat.sent"), result.counter("user.replies"));
        assertEquals(result.counter("chat.sent"), result.counter("receipt.0.push-success"));
        assertEquals(matched + result.counter("queue.match-after-leave"), result.counter("agent.matched"),
                counters::toString);

        assertEquals(matched, result.histogram(QueueScenario.WAIT).getTotalCount());
        assertEquals(Report.QUEUE_PRIMARY, report.primaryMetric());
        assertTrue(report.summary("waitP99Ms").doubleValue() > 0, counters::toString);
        final String table = ReportWriters.table(report);
        assertTrue(table.contains("queue-wait"), table);
        assertTrue(ReportWriters.html(report).contains("\"queue-wait\""));
        assertTrue(report.passed(), () -> report.violations().toString());
    }
}
