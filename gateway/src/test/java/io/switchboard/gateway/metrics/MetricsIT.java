package io.switchboard.gateway.metrics;

import static io.switchboard.gateway.testing.HttpTestClient.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.HandshakeRejected;
import io.switchboard.gateway.testing.HttpTestClient;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code /metrics} in Prometheus format, on the API port and the main port, after a scripted session. */
class MetricsIT {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    @Test
    void countersMoveAfterAScriptedSession() throws Exception {
        try (WsTestClient agent = gateway.connect(gateway.agent("ag"));
             WsTestClient user = gateway.connect(gateway.user("u"))) {
            user.send(Envelope.client("match", "1", "system", null));
            user.next("match", WsTestClient.TIMEOUT);
            agent.next("match", WsTestClient.TIMEOUT);
            user.send(Envelope.client("normal", "2", "ag", "hi"));
            user.next("receipt", WsTestClient.TIMEOUT);
            agent.next("normal", WsTestClient.TIMEOUT);
            user.send(Envelope.client("normal", "3", "ag", ""));
            assertEquals("EMPTY_MSG", user.next("receipt", WsTestClient.TIMEOUT).reason());
        }
        try {
            gateway.connect(gateway.uri("/pinter/imserver/a%20b")).close();
        } catch (HandshakeRejected expected) {
            assertEquals(400, expected.status());
        }

        final HttpTestClient api = gateway.api();
        final HttpResponse<String> res = api.get("/metrics");
        assertEquals(200, res.statusCode());
        assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        final String text = res.body();
        assertEquals(1.0, metric(text, "switchboard_connections_opened_total{role=\"user\"}"));
        assertEquals(1.0, metric(text, "switchboard_connections_opened_total{role=\"agent\"}"));
        assertEquals(1.0, metric(text, "switchboard_messages_routed_total"));
        assertEquals(1.0, metric(text, "switchboard_pairings_matched_total"));
        assertEquals(1.0, metric(text, "switchboard_failures_total{reason=\"EMPTY_MSG\"}"));
        assertEquals(1.0, metric(text, "switchboard_handshakes_rejected_total{status=\"400\"}"));
        assertTrue(metric(text, "switchboard_routing_latency_seconds_count") >= 1.0, "the routed normal message");
        assertTrue(text.contains("switchboard_connections_active{role=\"user\"}"));
        assertTrue(text.contains("jvm_memory_used_bytes"));
        assertTrue(text.contains("netty_allocator_"), "Netty allocator binder");
        assertTrue(text.contains("netty_eventexecutor_tasks_pending"), "Netty event-loop binder");

        // The same registry on the main port.
        final HttpTestClient main = gateway.http();
        final HttpResponse<String> mainRes = main.get("/metrics");
        assertEquals(200, mainRes.statusCode());
        assertTrue(mainRes.body().contains("switchboard_messages_routed_total 1.0"));
    }
}
