package io.switchboard.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Each scenario's {@code --help} lists the common options and its own, never the other scenario's. */
class LoadTestHelpTest {

    private static final List<String> CHAT_ONLY = List.of("--rate", "--payload-bytes", "--agent-capacity",
            "--max-lost");
    private static final List<String> CONNECTIONS_ONLY = List.of("--ping-interval");
    private static final List<String> COMMON = List.of("--url", "--agent-url", "--agents", "--users", "--duration",
            "--warmup", "--drain", "--connect-rate", "--workers", "--report-html", "--report-json", "--max-p99",
            "--max-error-rate");

    private static String help(String scenario) {
        return new CommandLine(new LoadTestMain()).getSubcommands().get(scenario).getUsageMessage();
    }

    @Test
    void chatHelpListsOnlyChatOptions() {
        final String help = help("chat");
        COMMON.forEach(o -> assertTrue(help.contains(o + '='), () -> o + " missing from chat --help:\n" + help));
        CHAT_ONLY.forEach(o -> assertTrue(help.contains(o + '='), () -> o + " missing from chat --help:\n" + help));
        CONNECTIONS_ONLY.forEach(o -> assertFalse(help.contains(o), () -> o + " in chat --help:\n" + help));
        assertTrue(help.contains("send->receipt"), help);
        assertTrue(help.contains("--ack "), () -> "--ack missing from chat --help:\n" + help);
    }

    @Test
    void connectionsHelpListsOnlyConnectionsOptions() {
        final String help = help("connections");
        COMMON.forEach(o -> assertTrue(help.contains(o + '='), () -> o + " missing from connections --help:\n" + help));
        CONNECTIONS_ONLY.forEach(o -> assertTrue(help.contains(o + '='), () -> o + " missing:\n" + help));
        CHAT_ONLY.forEach(o -> assertFalse(help.contains(o), () -> o + " in connections --help:\n" + help));
        assertTrue(help.contains("time to establish"), help);
        assertFalse(help.contains("--worker-slice"), "internal option shown:\n" + help);
        assertFalse(help.contains("--ack"), "chat-only option shown:\n" + help);
    }

    @Test
    void queueHelpListsItsOptions() {
        final String help = help("queue");
        COMMON.forEach(o -> assertTrue(help.contains(o + '='), () -> o + " missing from queue --help:\n" + help));
        for (String o : List.of("--agent-capacity", "--messages", "--think-time", "--payload-bytes", "--max-lost")) {
            assertTrue(help.contains(o + '='), () -> o + " missing from queue --help:\n" + help);
        }
        for (String o : List.of("--rate", "--ping-interval", "--ack", "--worker-slice")) {
            assertFalse(help.contains(o), () -> o + " in queue --help:\n" + help);
        }
        assertTrue(help.contains("queue wait"), help);
        assertEquals(0, LoadTestMain.execute("queue", "--help"));
    }

    @Test
    void helpExitsZero() {
        assertEquals(0, LoadTestMain.execute("connections", "--help"));
    }
}
