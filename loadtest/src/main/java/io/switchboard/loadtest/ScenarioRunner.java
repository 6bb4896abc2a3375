package io.switchboard.loadtest;

import io.switchboard.loadtest.report.HistogramCodec;
import io.switchboard.loadtest.report.LatencyRecorder;
import io.switchboard.loadtest.report.RunResult;
import io.switchboard.loadtest.scenario.Scenario;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * Runs one process's part of a scenario through its phases, on the calling (non-loop) thread: prepare, wait for the
 * synchronized start, run warmup and duration, stop, drain (bounded), collect, close. A one-second ticker on its own
 * thread ({@code lt-progress}) closes the latency intervals and reports progress. Always ends by itself:
 * every wait is bounded.
 */
final class ScenarioRunner {

    /** Chosen start time, in epoch milliseconds, for all processes of a run. */
    interface StartGate {
        long awaitStart() throws InterruptedException;
    }

    private final LoadTestConfig config;
    private final Scenario scenario;
    private final Consumer<ProgressSnapshot> progress;
    private final StartGate gate;
    private volatile String phase = "connecting";
    private volatile boolean seriesOn;

    ScenarioRunner(LoadTestConfig config, Scenario scenario, Consumer<ProgressSnapshot> progress, StartGate gate) {
        this.config = config;
        this.scenario = scenario;
        this.progress = progress;
        this.gate = gate;
    }

    /** Longest time allowed to connect everyone: twice the nominal ramp, plus 30 s. */
    static Duration connectBudget(LoadTestConfig config) {
        final double rampSeconds = (config.agents() + config.users()) / config.connectRate();
        return Duration.ofMillis((long) (rampSeconds * 2000) + 30_000);
    }

    RunResult run() throws InterruptedException {
        final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "lt-progress");
            t.setDaemon(true);
            return t;
        });
        final List<LatencyRecorder> latencies = scenario.latencies();
        ScheduledFuture<?> ticks = ticker.scheduleAtFixedRate(() -> tick(latencies), 1, 1, TimeUnit.SECONDS);
        try {
            scenario.prepare(connectBudget(config));
            final long startEpochMillis = gate.awaitStart();
            final long wait = startEpochMillis - System.currentTimeMillis();
            if (wait > 0) {
                Thread.sleep(wait);
            }
            // Restart the ticker so that the series' seconds are aligned to the start, in every process.
            ticks.cancel(false);
            runOnTicker(ticker, () -> {
                latencies.forEach(LatencyRecorder::resetInterval);
                seriesOn = true;
            });
            ticks = ticker.scheduleAtFixedRate(() -> tick(latencies), 1, 1, TimeUnit.SECONDS);
            final long startNanos = System.nanoTime();
            phase = config.warmup().isZero() ? "run" : "warmup";
            scenario.start(startNanos);
            scenario.awaitStarted(connectBudget(config));
            final long holdFrom = "connections".equals(scenario.name()) ? System.nanoTime() : startNanos;
            sleepUntil(holdFrom + config.warmup().toNanos(), () -> phase = "run");
            sleepUntil(holdFrom + config.warmup().toNanos() + config.duration().toNanos(), null);
            phase = "drain";
            scenario.stopTraffic();
            final long drainUntil = System.nanoTime() + config.drain().toNanos();
            while (!scenario.drained() && System.nanoTime() < drainUntil) {
                Thread.sleep(20);
            }
            ticks.cancel(false);
            // The last, partial second closes the series.
            runOnTicker(ticker, () -> tick(latencies));
            return collect(latencies);
        } finally {
            ticks.cancel(false);
            ticker.shutdownNow();
            scenario.close(Duration.ofSeconds(5));
        }
    }

    private static void runOnTicker(ScheduledExecutorService ticker, Runnable r) throws InterruptedException {
        try {
            ticker.submit(r).get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("progress ticker failed", e);
        }
    }

    private static void sleepUntil(long nanos, Runnable then) throws InterruptedException {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
        }
        if (then != null) {
            then.run();
        }
    }

    private void tick(List<LatencyRecorder> latencies) {
        String primary = null;
        if (seriesOn) {
            for (int i = 0; i < latencies.size(); i++) {
                final Histogram h = latencies.get(i).tick();
                if (i == 0) {
                    primary = HistogramCodec.encode(h);
                }
            }
        }
        progress.accept(new ProgressSnapshot(phase, scenario.openConnections(), scenario.sent(), scenario.received(),
                scenario.errors(), latencies.get(0).name(), primary));
    }

    private RunResult collect(List<LatencyRecorder> latencies) {
        final Map<String, String> histograms = new LinkedHashMap<>();
        final Map<String, List<String>> series = new LinkedHashMap<>();
        for (LatencyRecorder r : latencies) {
            histograms.put(r.name(), HistogramCodec.encode(r.total()));
            series.put(r.name(), r.series());
        }
        return new RunResult(scenario.name(), 1, config.warmup().toMillis() / 1000.0,
                config.duration().toMillis() / 1000.0, config.describe(scenario.name()),
                scenario.counters().snapshot(), scenario.maxima(), histograms, series);
    }
}
