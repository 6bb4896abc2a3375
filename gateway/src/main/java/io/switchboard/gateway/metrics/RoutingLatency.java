package io.switchboard.gateway.metrics;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The latency of live deliveries in an HdrHistogram {@link Recorder}, in microseconds with two significant digits
 * (1% precision) up to one minute. Recording is wait-free and allocation-free, so it may run on every event loop at
 * once; reading swaps the recorder's interval histogram, so each {@link #interval()} covers the time since the last.
 *
 * <p>Thread-safe: any thread records; {@link #interval()} serializes readers.
 */
public final class RoutingLatency {

    private static final long HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(1);
    private static final int SIGNIFICANT_DIGITS = 2;

    private final Recorder recorder = new Recorder(1, HIGHEST_MICROS, SIGNIFICANT_DIGITS);
    /** Guarded by {@code this}. */
    private final Histogram total = new Histogram(1, HIGHEST_MICROS, SIGNIFICANT_DIGITS);
    /** Guarded by {@code this}; handed back to the recorder on each swap so reading does not allocate either. */
    private Histogram recycled;

    /** Records one delivery that took {@code nanos}; values beyond a minute count as a minute. */
    public void record(long nanos) {
        recorder.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, nanos / 1000)));
    }

    /**
     * Takes what was recorded since the previous call, adds it to the running total, and summarizes both.
     * O(histogram buckets); meant for a poll a second, not for the hot path.
     */
    public synchronized Snapshot interval() {
        recycled = recorder.getIntervalHistogram(recycled);
        total.add(recycled);
        return new Snapshot(Summary.of(recycled), Summary.of(total));
    }

    /** Percentiles of one histogram, in microseconds. */
    public record Summary(long count, long p50Micros, long p99Micros, long p999Micros, long maxMicros) {
        static Summary of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return new Summary(0, 0, 0, 0, 0);
            }
            return new Summary(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                               h.getValueAtPercentile(99.9), h.getMaxValue());
        }
    }

    /** One interval and the running total since start. */
    public record Snapshot(Summary interval, Summary total) {}
}
