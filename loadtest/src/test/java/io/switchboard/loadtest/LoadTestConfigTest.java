package io.switchboard.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.loadtest.report.SloGates;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Where each connection goes: {@code --url} for users, {@code --agent-url} (when set) for agents. */
class LoadTestConfigTest {

    private static final URI NODE_A = URI.create("ws://127.0.0.1:18201/pinter/imserver");
    private static final URI NODE_B = URI.create("ws://127.0.0.1:18202/pinter/imserver/");

    private static LoadTestConfig config(boolean ack) {
        return new LoadTestConfig(NODE_A, "cfg", 2, 10, 100.0, Duration.ofSeconds(1), Duration.ZERO,
                Duration.ofSeconds(1), 100, 10, null, 1, 64, Duration.ofSeconds(10), 50, 1, null, null,
                new SloGates(null, null, null), 0, 1, ack, null, false);
    }

    @Test
    void withoutAgentUrlEveryoneConnectsToUrl() {
        final LoadTestConfig c = config(false);
        assertEquals(URI.create("ws://127.0.0.1:18201/pinter/imserver/cfg-u-1"), c.connectUri("cfg-u-1", false));
        assertEquals(URI.create("ws://127.0.0.1:18201/pinter/imserver/cfg-a-0?role=agent"),
                c.connectUri("cfg-a-0", true));
        assertFalse(c.describe("chat").containsKey("agentUrl"), "a one-endpoint run reports as before");
    }

    @Test
    void agentsConnectToAgentUrlAndUsersToUrl() {
        final LoadTestConfig c = config(false).withAgentUrl(NODE_B);
        assertEquals(URI.create("ws://127.0.0.1:18201/pinter/imserver/cfg-u-1"), c.connectUri("cfg-u-1", false));
        assertEquals(URI.create("ws://127.0.0.1:18202/pinter/imserver/cfg-a-0?role=agent"),
                c.connectUri("cfg-a-0", true));
        assertEquals(NODE_B.toString(), c.describe("chat").get("agentUrl"));
    }

    @Test
    void ackModeAndWorkerSlicesKeepTheAgentUrl() {
        final LoadTestConfig c = config(true).withAgentUrl(NODE_B).slice(1, 2);
        assertEquals(URI.create("ws://127.0.0.1:18202/pinter/imserver/cfg-a-1?role=agent&ack=1&since=7"),
                c.connectUri("cfg-a-1", true, 7));
        assertEquals(URI.create("ws://127.0.0.1:18201/pinter/imserver/cfg-u-9?ack=1"),
                c.connectUri("cfg-u-9", false, -1));
    }

    @Test
    void agentUrlMustShareTheSchemeOfUrl() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config(false).withAgentUrl(URI.create("wss://127.0.0.1:18202/pinter/imserver")));
        assertTrue(e.getMessage().startsWith("--agent-url: wss://127.0.0.1:18202"), e.getMessage());
    }
}
