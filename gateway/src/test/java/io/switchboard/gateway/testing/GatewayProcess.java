package io.switchboard.gateway.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gateway in a child JVM ({@code SwitchboardMain} on this test's class path), for what only a real process shows:
 * SIGTERM and SIGKILL. It listens on 127.0.0.1 and a port it picks; {@link #start} returns once its log says it is
 * listening. Its output is kept for failure messages.
 */
public final class GatewayProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("Switchboard listening on /127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final int port;
    private final List<String> output;

    private GatewayProcess(Process process, int port, List<String> output) {
        this.process = process;
        this.port = port;
        this.output = output;
    }

    /** The settings every gateway process of a test gets before its own. */
    private static final List<String> TEST_ARGS =
            List.of("--host", "127.0.0.1", "--port", "0", "--api-enabled", "false", "--shutdown-timeout", "3s");

    /** Starts {@code SwitchboardMain --host 127.0.0.1 --port 0 --api-enabled false} plus {@code args}. */
    public static GatewayProcess start(List<String> args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "io.switchboard.gateway.SwitchboardMain"));
        command.addAll(TEST_ARGS);
        command.addAll(args);
        return start(new ProcessBuilder(command));
    }

    /**
     * Starts the gateway as a user does: {@code launcher} (bin/switchboard) with {@code env} added to this JVM's
     * environment, the same test settings, and {@code args}.
     */
    public static GatewayProcess startWithLauncher(Path launcher, java.util.Map<String, String> env, List<String> args)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(TEST_ARGS);
        command.addAll(args);
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        return start(builder);
    }

    private static GatewayProcess start(ProcessBuilder builder) throws IOException, InterruptedException {
        final Process process = builder.redirectErrorStream(true).start();
        final List<String> output = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<Integer> listening = new CompletableFuture<>();
        final Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    final Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
            listening.completeExceptionally(new IllegalStateException("the gateway exited: " + output));
        }, "gateway-process-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return new GatewayProcess(process, listening.get(30, TimeUnit.SECONDS), output);
        } catch (Exception e) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("the gateway did not start: " + output, e);
        }
    }

    /** The WebSocket URI of {@code rawPathAndQuery} ({@code /pinter/imserver/u1?ack=1}). */
    public URI uri(String rawPathAndQuery) {
        return URI.create("ws://127.0.0.1:" + port + rawPathAndQuery);
    }

    /** The command line of the process (for a launcher: of the java it became, since it execs). */
    public List<String> commandLine() {
        return process.info().arguments().map(List::of).orElse(List.of());
    }

    /** SIGTERM, and waits for the process to end; returns its exit status. */
    public int terminate() throws InterruptedException {
        process.destroy();
        return awaitExit();
    }

    /** SIGKILL, and waits for the process to end. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        awaitExit();
    }

    private int awaitExit() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("the gateway did not exit: " + output);
        }
        return process.exitValue();
    }

    /** What the process printed so far. */
    public String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
