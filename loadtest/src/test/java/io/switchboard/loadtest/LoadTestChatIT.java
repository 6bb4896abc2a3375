package io.switchboard.loadtest;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.loadtest.client.ChatClient;
import io.switchboard.loadtest.client.ClientResources;
import io.switchboard.loadtest.client.CloseStatus;
import io.switchboard.loadtest.report.Report;
import io.switchboard.loadtest.report.RunResult;
import io.switchboard.loadtest.report.SloGates;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.MessageType;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The load tester against an in-process gateway on 127.0.0.1:0: the counts must reconcile exactly. */
class LoadTestChatIT {

    private GatewayServer gateway;
    private URI base;

    @BeforeEach
    void startGateway() throws Exception {
        gateway = new GatewayServer(GatewayConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .dataDir("")
                // Agents answer every message: keep the per-sender limit out of the way of this modest rate.
                .ratePerSecond(100_000)
                .rateBurst(100_000)
                .build()).start();
        final InetSocketAddress a = gateway.localAddress();
        base = URI.create("ws://127.0.0.1:" + a.getPort() + "/pinter/imserver");
    }

    @AfterEach
    void stopGateway() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    private LoadTestConfig config(String prefix, int agents, int users, Double rate, Duration duration,
                                  Duration warmup, Duration ping) {
        return new LoadTestConfig(base, prefix, agents, users, rate, duration, warmup, Duration.ofSeconds(30), 1000,
                100, null, 1, 64, ping, 50, 2, null, null, new SloGates(null, 0.0, 0L), 0, 1);
    }

    @Test
    void chatCountsReconcile() throws Exception {
        final LoadTestConfig config = config("itchat", 10, 200, 1000.0, Duration.ofSeconds(3), Duration.ofSeconds(1),
                Duration.ofSeconds(10));
        final RunResult result = LoadTestMain.runLocal("chat", config, s -> { }, System::currentTimeMillis);
        final Report report = Report.of(result, config.gates());
        final long sent = result.counter("chat.sent");
        // Open loop: the schedule owes exactly rate x (warmup + duration) messages, sent late if the (cold, paranoid,
        // shared) JVM falls behind, with their latency still counted from the intended time.
        assertEquals(4000, sent);
        assertEquals(210, result.counter("connect.established"));
        assertEquals(200, result.counter("match.ok"));
        assertEquals(sent, result.counter("receipt.0.push-success"), "receipts");
        assertEquals(sent, result.counter("agent.delivered"), "deliveries at agents");
        assertEquals(sent, result.counter("agent.replies.sent"), "replies sent");
        assertEquals(sent, result.counter("user.replies"), "replies received");
        assertEquals(0, report.summary("lost").longValue());
        assertEquals(0, report.summary("duplicates").longValue());
        assertEquals(0, report.summary("reordered").longValue());
        assertEquals(0, report.summary("errors").longValue(), () -> result.counters().toString());
        assertEquals(0, result.counter("agent.delivered.unmeasured"));
        assertEquals(result.counter("chat.sent.measured"), result.histogram("receipt").getTotalCount());
        assertTrue(report.passed(), () -> report.violations().toString());
        assertTrue(result.series().get("receipt").size() >= 4, "per-second series");
    }

    @Test
    void closedLoopCountsReconcile() throws Exception {
        final LoadTestConfig config = config("itmax", 2, 20, null, Duration.ofSeconds(1), Duration.ZERO,
                Duration.ofSeconds(10));
        final RunResult result = LoadTestMain.runLocal("chat", config, s -> { }, System::currentTimeMillis);
        final long sent = result.counter("chat.sent");
        assertTrue(sent > 100, "sent " + sent);
        assertEquals(sent, result.counter("receipt.0.push-success"));
        assertEquals(sent, result.counter("agent.delivered"));
        assertEquals(sent, result.counter("user.replies"));
        assertEquals(0, Report.of(result, config.gates()).summary("errors").longValue());
    }

    @Test
    void connectionsHoldAndPing() throws Exception {
        final LoadTestConfig config = config("itconn", 5, 100, null, Duration.ofSeconds(2), Duration.ZERO,
                Duration.ofMillis(500));
        final RunResult result = LoadTestMain.runLocal("connections", config, s -> { }, System::currentTimeMillis);
        final Report report = Report.of(result, config.gates());
        assertEquals(105, result.counter("connect.established"));
        assertEquals(100, result.counter("match.ok"));
        assertEquals(105, result.histogram("connect").getTotalCount());
        assertTrue(result.counter("ping.sent") >= 105, "pings " + result.counter("ping.sent"));
        assertEquals(result.counter("ping.sent"), result.counter("ping.pong"));
        assertEquals(0, report.summary("errors").longValue(), () -> result.counters().toString());
    }

    @Test
    void chatClientTalksAndSeesTheReplacedCloseCode() throws Exception {
        try (ClientResources resources = ClientResources.create(1)) {
            final ChatClient agent = ChatClient.connect(resources.group(), URI.create(base + "/cc-agent?role=agent"))
                    .get(5, SECONDS);
            final ChatClient user = ChatClient.connect(resources.group(), URI.create(base + "/cc-user"))
                    .get(5, SECONDS);
            user.send(Envelope.client("match", null, "system", null)).get(5, SECONDS);
            assertEquals("cc-agent", user.next(MessageType.MATCH).get(5, SECONDS).msg());
            assertEquals("cc-user", agent.next(MessageType.MATCH).get(5, SECONDS).msg());
            user.send(Envelope.client("normal", "111", "cc-agent", "你好")).get(5, SECONDS);
            final Envelope receipt = user.next(MessageType.RECEIPT).get(5, SECONDS);
            assertEquals("111", receipt.msgId());
            assertEquals("push success", receipt.msg());
            assertEquals("你好", agent.next(MessageType.NORMAL).get(5, SECONDS).msg());

            // PROTOCOL.md §1: a second connection for the same userId replaces the first with 4001.
            final ChatClient again = ChatClient.connect(resources.group(), URI.create(base + "/cc-user"))
                    .get(5, SECONDS);
            final CloseStatus closed = user.closeFuture().get(5, SECONDS);
            assertEquals(4001, closed.code());
            assertTrue(closed.established());
            again.close();
            agent.close();
            assertTrue(again.closeFuture().get(5, SECONDS).byClient());
            agent.closeFuture().get(5, SECONDS);
        }
    }
}
