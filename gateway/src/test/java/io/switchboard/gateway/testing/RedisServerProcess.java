package io.switchboard.gateway.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} from the PATH on 127.0.0.1 and a free port, in a temporary directory: started and
 * stopped by this test JVM (by its PID), never left behind (a shutdown hook stops it if the run is cut short). It
 * can be stopped and started again on the same port and directory, which is what a Redis restart test needs.
 */
public final class RedisServerProcess implements AutoCloseable {

    /** How long a starting or stopping redis-server may take. */
    private static final Duration BOUND = Duration.ofSeconds(10);

    private final Path dir;
    private final int port;
    private final List<String> extraArgs;
    private final Thread shutdownHook;
    private Process process;

    private RedisServerProcess(Path dir, int port, List<String> extraArgs) {
        this.dir = dir;
        this.port = port;
        this.extraArgs = extraArgs;
        this.shutdownHook = new Thread(this::destroyQuietly, "redis-server-" + port + "-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Whether {@code redis-server} is an executable on the PATH. */
    public static boolean onPath() {
        final String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "redis-server"))) {
                return true;
            }
        }
        return false;
    }

    /** Starts a throw-away Redis (no persistence). */
    public static RedisServerProcess start() throws IOException, InterruptedException {
        return start(List.of("--save", "", "--appendonly", "no"));
    }

    /** Starts a Redis with its append-only file on, as production should run it: a restart keeps the data. */
    public static RedisServerProcess startPersistent() throws IOException, InterruptedException {
        return start(List.of("--save", "", "--appendonly", "yes"));
    }

    private static RedisServerProcess start(List<String> extraArgs) throws IOException, InterruptedException {
        final int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        final RedisServerProcess redis = new RedisServerProcess(Files.createTempDirectory("sb-redis"), port,
                                                                extraArgs);
        redis.startAgain();
        return redis;
    }

    /** {@code redis://127.0.0.1:PORT}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** The PID of the running server. */
    public long pid() {
        return process.pid();
    }

    /** (Re)starts the server on the same port and directory and waits until it accepts connections. */
    public void startAgain() throws IOException, InterruptedException {
        final ProcessBuilder builder = new ProcessBuilder("redis-server", "--port", Integer.toString(port),
                                                          "--bind", "127.0.0.1", "--dir", dir.toString());
        builder.command().addAll(extraArgs);
        process = builder.redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        final long deadline = System.nanoTime() + BOUND.toNanos();
        while (true) {
            try {
                new Socket("127.0.0.1", port).close();
                return;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    stop();
                    throw new IOException("redis-server did not start on port " + port + " (see "
                                          + dir.resolve("redis.log") + ')', e);
                }
                Thread.sleep(50); // waiting for a child process to listen; there is no event to wait on
            }
        }
    }

    /** SIGTERM (Redis flushes its AOF and exits), then waits for the exit; SIGKILL if it does not come. */
    public void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void destroyQuietly() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    /**
     * Stops the server and deletes its directory. An interrupt while waiting for the exit kills the server at once
     * and stays set on the thread; so this declares no {@link InterruptedException}.
     */
    @Override
    public void close() throws IOException {
        try {
            stop();
        } catch (InterruptedException e) {
            destroyQuietly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook runs anyway
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Override
    public String toString() {
        return "redis-server pid " + (process == null ? "-" : process.pid()) + " on 127.0.0.1:" + port;
    }
}
