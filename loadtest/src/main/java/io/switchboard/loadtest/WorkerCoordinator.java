package io.switchboard.loadtest;

import io.switchboard.loadtest.report.ResultJson;
import io.switchboard.loadtest.report.RunResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a scenario as N worker JVMs of this same jar on this machine, each with a slice of the users and agents (an
 * agent and the users matched to it by this tool live in the same slice), and merges their results exactly.
 *
 * <p>The worker protocol is line-based. On stdout a worker prints {@code LT-READY} when its connections are up,
 * {@code LT-PROGRESS <json>} once a second and {@code LT-RESULT <json>} (a {@link RunResult}) last; its stderr is
 * passed through. On stdin it reads {@code GO <epochMillis>}: the common start, so that all workers' traffic and
 * per-second series line up.
 */
final class WorkerCoordinator {

    static final String READY = "LT-READY";
    static final String PROGRESS = "LT-PROGRESS ";
    static final String RESULT = "LT-RESULT ";
    static final String GO = "GO ";

    /** Options of the coordinator that workers must not get (they would fork again, or write reports). */
    private static final List<String> COORDINATOR_ONLY = List.of("--workers", "--report-json", "--report-html",
            "--max-p99", "--max-error-rate", "--max-lost");

    private final LoadTestConfig config;
    private final List<String> workerArgs;
    private final PrintStream err;

    WorkerCoordinator(LoadTestConfig config, List<String> originalArgs, PrintStream err) {
        this.config = config;
        workerArgs = filter(originalArgs);
        this.err = err;
    }

    /** {@code args} without the coordinator-only options (both {@code --opt v} and {@code --opt=v} forms). */
    static List<String> filter(List<String> args) {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            final String a = args.get(i);
            final String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (COORDINATOR_ONLY.contains(name)) {
                if (!a.contains("=")) {
                    i++;
                }
                continue;
            }
            out.add(a);
        }
        return out;
    }

    RunResult run() throws IOException, InterruptedException {
        final int n = config.workers();
        final List<Process> processes = new ArrayList<>();
        final Map<Integer, ProgressSnapshot> progress = new ConcurrentHashMap<>();
        final Map<Integer, RunResult> results = new ConcurrentHashMap<>();
        final CountDownLatch ready = new CountDownLatch(n);
        final CountDownLatch finished = new CountDownLatch(n);
        final ProgressPrinter printer = new ProgressPrinter(err);
        try {
            for (int i = 0; i < n; i++) {
                final Process p = new ProcessBuilder(command(i, n))
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
                processes.add(p);
                final int index = i;
                final Thread reader = new Thread(() -> read(index, p, progress, results, ready, finished),
                        "lt-worker-" + i);
                reader.setDaemon(true);
                reader.start();
            }
            final Duration budget = ScenarioRunner.connectBudget(config).plusSeconds(30);
            final long readyDeadline = System.nanoTime() + budget.toNanos();
            while (!ready.await(1, TimeUnit.SECONDS)) {
                printer.print(progress.values());
                if (System.nanoTime() > readyDeadline || finished.getCount() < n) {
                    throw new IOException("workers did not get ready: " + (n - ready.getCount()) + " of " + n);
                }
            }
            // A common start a little ahead, so every worker reads GO before it.
            final long start = System.currentTimeMillis() + 500;
            for (Process p : processes) {
                final Writer w = new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.US_ASCII);
                w.write(GO + start + "\n");
                w.flush();
            }
            final long runNanos = config.warmup().plus(config.duration()).plus(config.drain()).toNanos()
                    + budget.toNanos();
            final long deadline = System.nanoTime() + runNanos;
            while (!finished.await(1, TimeUnit.SECONDS)) {
                printer.print(progress.values());
                if (System.nanoTime() > deadline) {
                    throw new IOException("workers did not finish in time");
                }
            }
            for (int i = 0; i < n; i++) {
                final Process p = processes.get(i);
                if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || !results.containsKey(i)) {
                    throw new IOException("worker " + i + " failed (exit "
                            + (p.isAlive() ? "-" : Integer.toString(p.exitValue())) + ")");
                }
            }
            final List<RunResult> parts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                parts.add(results.get(i));
            }
            return RunResult.merge(parts);
        } finally {
            for (Process p : processes) {
                if (p.isAlive()) {
                    p.destroy();
                    if (!p.waitFor(5, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            }
        }
    }

    private void read(int index, Process p, Map<Integer, ProgressSnapshot> progress, Map<Integer, RunResult> results,
                      CountDownLatch ready, CountDownLatch finished) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals(READY)) {
                    ready.countDown();
                } else if (line.startsWith(PROGRESS)) {
                    progress.put(index, ResultJson.mapper().readValue(line.substring(PROGRESS.length()),
                            ProgressSnapshot.class));
                } else if (line.startsWith(RESULT)) {
                    results.put(index, ResultJson.fromLine(line.substring(RESULT.length())));
                } else {
                    err.println("worker " + index + ": " + line);
                }
            }
        } catch (IOException | RuntimeException e) {
            err.println("worker " + index + ": unreadable output: " + e);
        } finally {
            finished.countDown();
        }
    }

    private List<String> command(int index, int count) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // Heap, GC and system properties carry over; agents and debuggers do not.
            if (a.startsWith("-X") || a.startsWith("-D")) {
                if (!a.startsWith("-Xdebug") && !a.startsWith("-Xrunjdwp")) {
                    cmd.add(a);
                }
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LoadTestMain.class.getName());
        cmd.addAll(workerArgs);
        cmd.add("--worker-slice");
        cmd.add(index + "/" + count);
        return cmd;
    }
}
