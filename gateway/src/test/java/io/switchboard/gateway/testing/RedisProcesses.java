package io.switchboard.gateway.testing;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import io.lettuce.core.sentinel.api.sync.RedisSentinelCommands;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What {@link RedisClusterProcess} and {@link RedisSentinelProcess} share: free ports, {@code redis-server} children
 * started in a directory of their own and stopped by their PID, bounded polling of an external process's state, and
 * an admin {@link RedisClient} that never reconnects (a stopped node fails a command at once instead of queueing it).
 */
final class RedisProcesses {

    /** How long one redis-server may take to listen or to exit. */
    static final Duration PROCESS_BOUND = Duration.ofSeconds(10);
    /** How often an external process's state is polled: it has no event to wait on. */
    private static final long POLL_MILLIS = 50;

    private RedisProcesses() {}

    /** Whether every one of {@code executables} is an executable on the PATH. */
    static boolean onPath(String... executables) {
        final String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String executable : executables) {
            boolean found = false;
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, executable))) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    /** {@code count} distinct free ports on this machine (held open together, so none is handed out twice). */
    static List<Integer> freePorts(int count) throws IOException {
        final List<ServerSocket> sockets = new ArrayList<>();
        try {
            final List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                final ServerSocket s = new ServerSocket(0);
                sockets.add(s);
                ports.add(s.getLocalPort());
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    /**
     * Starts {@code command} in {@code dir} (output to {@code dir/redis.log}) and waits, bounded, until it listens on
     * 127.0.0.1:{@code port}; kills it and throws if it exits or does not listen in time.
     */
    static Process launch(List<String> command, Path dir, int port) throws IOException, InterruptedException {
        final Path log = dir.resolve("redis.log");
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                                                           .redirectOutput(ProcessBuilder.Redirect.appendTo(
                                                                   log.toFile()))
                                                           .start();
        final long deadline = System.nanoTime() + PROCESS_BOUND.toNanos();
        while (true) {
            try {
                new Socket("127.0.0.1", port).close();
                return process;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    kill(process);
                    throw new IOException(command.get(0) + " did not start on port " + port + ": " + tail(log), e);
                }
                Thread.sleep(POLL_MILLIS); // waiting for a child process to listen; there is no event to wait on
            }
        }
    }

    /** SIGKILL (a crash: nothing flushed) and wait, bounded, for the exit. */
    static void kill(Process process) throws InterruptedException {
        process.destroyForcibly().waitFor(PROCESS_BOUND.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Tears a private deployment down: kills {@code processes} in the order given, each waited for (a forced kill of
     * all of them if interrupted), shuts the admin client down, removes the shutdown hook and deletes {@code root}.
     */
    static void tearDown(List<Process> processes, RedisClient admin, Thread shutdownHook, Path root)
            throws IOException {
        try {
            for (Process p : processes) {
                kill(p);
            }
        } catch (InterruptedException e) {
            processes.forEach(Process::destroyForcibly);
            Thread.currentThread().interrupt();
        }
        admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook runs anyway
        }
        deleteTree(root);
    }

    /** The last lines of {@code log}, for an error message. */
    static String tail(Path log) {
        try {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return log + ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "see " + log;
        }
    }

    /**
     * Polls {@code condition} until it holds; a condition that throws has not held yet. Fails after {@code bound}
     * with {@code what} and the last exception: the state of an external process has no event to wait on.
     */
    static void await(Duration bound, Callable<Boolean> condition, Supplier<String> what)
            throws InterruptedException {
        final long deadline = System.nanoTime() + bound.toNanos();
        Exception last = null;
        while (true) {
            try {
                if (condition.call()) {
                    return;
                }
                last = null;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                final AssertionError error = new AssertionError("timed out after " + bound.toSeconds()
                                                                + " s waiting for " + what.get());
                if (last != null) {
                    error.initCause(last);
                }
                throw error;
            }
            Thread.sleep(POLL_MILLIS); // polling an external process's state; there is no event to wait on
        }
    }

    /** Deletes {@code dir} and everything below it. */
    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** An admin client for short-lived connections to single nodes: no reconnects, 2 s per command. */
    static RedisClient adminClient() {
        final RedisClient client = RedisClient.create();
        client.setOptions(ClientOptions.builder()
                                       .autoReconnect(false)
                                       .socketOptions(SocketOptions.builder()
                                                                   .connectTimeout(Duration.ofSeconds(1))
                                                                   .build())
                                       .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(2)))
                                       .build());
        return client;
    }

    /** Runs {@code command} on the Redis at 127.0.0.1:{@code port} over a connection of its own. */
    static <T> T onNode(RedisClient admin, int port, Function<RedisCommands<String, String>, T> command) {
        try (StatefulRedisConnection<String, String> c = admin.connect(RedisURI.create("127.0.0.1", port))) {
            return command.apply(c.sync());
        }
    }

    /** Runs {@code command} on the Sentinel at 127.0.0.1:{@code port} over a connection of its own. */
    static <T> T onSentinel(RedisClient admin, int port,
                            Function<RedisSentinelCommands<String, String>, T> command) {
        try (StatefulRedisSentinelConnection<String, String> c =
                     admin.connectSentinel(RedisURI.create("127.0.0.1", port))) {
            return command.apply(c.sync());
        }
    }

    /** The fields of an {@code INFO} or {@code CLUSTER INFO} reply. */
    static Map<String, String> fields(String info) {
        final Map<String, String> fields = new HashMap<>();
        for (String line : info.split("\r?\n")) {
            final int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }
}
