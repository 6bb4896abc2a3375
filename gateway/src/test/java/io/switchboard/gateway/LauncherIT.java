package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.testing.GatewayProcess;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.gateway.testing.WsTestClients;
import io.switchboard.protocol.Envelope;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's run command, {@code bin/switchboard}, on the jar this build packaged (Failsafe runs after
 * {@code package}): it starts with {@code config/jvm.options}, {@code JAVA_OPTS} wins over them, and it execs java, so
 * SIGTERM reaches the gateway and the drain exits 0.
 */
class LauncherIT {

    private static Path root;
    private static Path launcher;

    @BeforeAll
    static void findLauncher() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("bin/switchboard"))) {
            dir = dir.getParent();
        }
        assertTrue(dir != null, "bin/switchboard not found above " + Path.of("").toAbsolutePath());
        root = dir;
        launcher = dir.resolve("bin/switchboard");
        assertTrue(Files.isRegularFile(root.resolve("gateway/target/switchboard-gateway.jar")),
                   "gateway/target/switchboard-gateway.jar missing: run ./mvnw package (or verify) first");
    }

    /** Runs the launcher with {@code args} and {@code JAVA_OPTS}; returns its output, which must end with exit 0. */
    private static String run(String javaOpts, String... args) throws IOException, InterruptedException {
        final ProcessBuilder builder = new ProcessBuilder(launcher.toString());
        builder.command().addAll(List.of(args));
        builder.environment().put("JAVA_OPTS", javaOpts);
        builder.environment().remove("SWITCHBOARD_JAR");
        final Process p = builder.redirectErrorStream(true).start();
        final String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher did not exit");
        assertEquals(0, p.exitValue(), output);
        return output;
    }

    @Test
    void runsTheBuiltJarWithTheMeasuredJvmOptions() throws Exception {
        final String out = run("-XX:+PrintCommandLineFlags", "--help");
        assertTrue(out.contains("-XX:+UseSerialGC") && out.contains("-XX:InitialHeapSize=33554432")
                   && out.contains("-XX:MaxRAMPercentage=75") && out.contains("-XX:+ExitOnOutOfMemoryError"), out);
        assertTrue(out.contains("Usage: switchboard "), out);
    }

    @Test
    void javaOptsWinOverTheDefaultsAndMayChooseAnotherCollector() throws Exception {
        final String out = run("-XX:+PrintCommandLineFlags -XX:+UseParallelGC -Xms64m", "--help");
        assertTrue(out.contains("-XX:+UseParallelGC") && out.contains("-XX:InitialHeapSize=67108864"), out);
        assertFalse(out.contains("-XX:+UseSerialGC"), out);
    }

    @Test
    void theGatewayItStartsServesAndDrainsOnSigterm() throws Exception {
        final GatewayProcess gateway = GatewayProcess.startWithLauncher(launcher, Map.of("JAVA_OPTS", "-Xmx128m"),
                                                                        List.of("--data-dir", "none"));
        try (WsTestClients clients = new WsTestClients(1);
             WsTestClient user = WsTestClient.connect(clients, gateway.uri("/pinter/imserver/u1"))) {
            // The process is java itself (the launcher execs it), with the options file's flags and JAVA_OPTS last.
            final List<String> argv = gateway.commandLine();
            assertTrue(argv.contains("-XX:+UseSerialGC") && argv.indexOf("-Xmx128m") > argv.indexOf("-Xms32m"),
                       argv::toString);
            user.send(Envelope.client("ping", "p1", null, null));
            assertEquals("p1", user.next("pong", WsTestClient.TIMEOUT).msgId());
            assertEquals(0, gateway.terminate(), gateway::output);
        } finally {
            gateway.close();
        }
    }
}
