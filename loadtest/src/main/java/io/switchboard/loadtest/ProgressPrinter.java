package io.switchboard.loadtest;

import io.switchboard.loadtest.report.HistogramCodec;
import java.io.PrintStream;
import java.util.Collection;
import org.HdrHistogram.Histogram;

/**
 * Prints the live progress line, once a second, from one or several processes' {@link ProgressSnapshot}s: open
 * connections, send and receive rates, p50/p99 of the primary latency over the last second, errors.
 *
 * <p>Called by one thread at a time.
 */
final class ProgressPrinter {

    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private long lastSent;
    private long lastReceived;
    private long lastNanos = startNanos;

    ProgressPrinter(PrintStream out) {
        this.out = out;
    }

    void print(Collection<ProgressSnapshot> snapshots) {
        if (snapshots.isEmpty()) {
            return;
        }
        long open = 0;
        long sent = 0;
        long received = 0;
        long errors = 0;
        String phase = null;
        String metric = "";
        final Histogram h = HistogramCodec.empty();
        for (ProgressSnapshot s : snapshots) {
            open += s.open();
            sent += s.sent();
            received += s.received();
            errors += s.errors();
            phase = phase == null ? s.phase() : phase;
            metric = s.metric();
            if (s.interval() != null) {
                h.add(HistogramCodec.decode(s.interval()));
            }
        }
        final long now = System.nanoTime();
        final double seconds = Math.max(1e-3, (now - lastNanos) / 1e9);
        out.printf("[%5ds] %-10s conns %7d  sent %8.0f/s  recv %8.0f/s  %s p50 %7s p99 %7s  errors %d%n",
                Math.round((now - startNanos) / 1e9), phase, open, (sent - lastSent) / seconds,
                (received - lastReceived) / seconds, metric,
                h.getTotalCount() == 0 ? "-" : micros(h.getValueAtPercentile(50)),
                h.getTotalCount() == 0 ? "-" : micros(h.getValueAtPercentile(99)), errors);
        out.flush();
        lastSent = sent;
        lastReceived = received;
        lastNanos = now;
    }

    /** {@code 412us} or {@code 1.9ms} or {@code 2.31s}. */
    static String micros(long us) {
        if (us < 1000) {
            return us + "us";
        }
        if (us < 1_000_000) {
            return String.format("%.1fms", us / 1000.0);
        }
        return String.format("%.2fs", us / 1e6);
    }
}
