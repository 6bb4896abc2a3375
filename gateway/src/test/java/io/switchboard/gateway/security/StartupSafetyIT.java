package io.switchboard.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Secure defaults, loud when relaxed (#16), as an operator meets them: the real {@code main} in a child JVM. The API
 * on a non-loopback address without a key does not start (exit code not 0, a message naming the way out); with
 * {@code --api-insecure} it starts, and one WARN line names every relaxed setting.
 */
class StartupSafetyIT {

    private static Process start(List<String> args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), "io.switchboard.gateway.SwitchboardMain",
                "--port", "0", "--data-dir", "none", "--shutdown-timeout", "2s"));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Reads the process's output until a line containing {@code until} (or the end), bounded by the process. */
    private static List<String> linesUntil(Process p, String until) throws IOException {
        final List<String> lines = new ArrayList<>();
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                                                                               StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (until != null && line.contains(until)) {
                    break;
                }
            }
        }
        return lines;
    }

    @Test
    void theApiOnANonLoopbackAddressWithoutAKeyDoesNotStart() throws Exception {
        final Process p = start(List.of("--host", "127.0.0.1", "--api-host", "0.0.0.0", "--api-port", "0"));
        try {
            final String output = String.join("\n", linesUntil(p, null));
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), output);
            assertNotEquals(0, p.exitValue(), output);
            assertTrue(output.contains("api-host") && output.contains("api-key") && output.contains("api-insecure"),
                       output);
            assertFalse(output.contains("listening"), output);
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void relaxedSettingsAreNamedInOneWarningAtStart() throws Exception {
        final Process p = start(List.of("--host", "0.0.0.0", "--api-host", "0.0.0.0", "--api-port", "0",
                                        "--api-insecure", "true"));
        try {
            final List<String> lines = linesUntil(p, "Switchboard listening");
            final String output = String.join("\n", lines);
            final List<String> warnings = lines.stream().filter(l -> l.contains("WARN")).collect(Collectors.toList());
            assertEquals(1, warnings.size(), output);
            final String w = warnings.get(0);
            assertTrue(w.contains("auth-mode=off on 0.0.0.0"), w);
            assertTrue(w.contains("allowed-origins=any"), w);
            assertTrue(w.contains("api-key=none on 0.0.0.0 with api-insecure"), w);
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly().waitFor();
        }
    }
}
