package io.switchboard.loadtest.report;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One latency metric in microseconds: a lock-free {@link Recorder} for the writers (event loops), and, on the
 * reporting thread, one interval histogram per second ({@link #tick()}) for the over-time chart plus the total of
 * the measured (post-warmup) samples.
 *
 * <p>{@link #record} is thread-safe and wait-free; the other methods are called by one reporting thread.
 */
public final class LatencyRecorder {

    /** Precision of every histogram: 3 significant digits (0.1 % value error). */
    public static final int SIGNIFICANT_DIGITS = 3;

    private final String name;
    private final Recorder all = new Recorder(SIGNIFICANT_DIGITS);
    private final Recorder measured = new Recorder(SIGNIFICANT_DIGITS);
    private final Histogram total = HistogramCodec.empty();
    private final List<String> series = new ArrayList<>();
    private Histogram intervalRecycle;
    private Histogram measuredRecycle;

    public LatencyRecorder(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /**
     * Records one sample.
     *
     * @param micros       the latency; negative values (clock noise) count as 0
     * @param countInTotal whether the sample belongs to the measured window (after warmup)
     */
    public void record(long micros, boolean countInTotal) {
        final long v = Math.max(0, micros);
        all.recordValue(v);
        if (countInTotal) {
            measured.recordValue(v);
        }
    }

    /**
     * Closes the current one-second interval: appends it to the series and returns it (valid until the next tick).
     */
    public synchronized Histogram tick() {
        intervalRecycle = all.getIntervalHistogram(intervalRecycle);
        series.add(HistogramCodec.encode(intervalRecycle));
        drainMeasured();
        return intervalRecycle;
    }

    /** Discards the samples of the interval in progress without adding it to the series (aligns ticks to a start). */
    public synchronized void resetInterval() {
        intervalRecycle = all.getIntervalHistogram(intervalRecycle);
    }

    /** All measured samples so far. */
    public synchronized Histogram total() {
        drainMeasured();
        return total.copy();
    }

    /** The encoded per-second interval histograms, one per {@link #tick()}. */
    public synchronized List<String> series() {
        return List.copyOf(series);
    }

    private void drainMeasured() {
        measuredRecycle = measured.getIntervalHistogram(measuredRecycle);
        total.add(measuredRecycle);
    }
}
