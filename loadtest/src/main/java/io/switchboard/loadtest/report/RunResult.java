package io.switchboard.loadtest.report;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The raw outcome of a run in one process, in a form that merges exactly across processes: counters are summed,
 * {@code maxima} take the maximum, histograms (encoded, see {@link HistogramCodec}) are added, and the per-second
 * series are added second by second (workers start their traffic at the same wall-clock instant).
 *
 * @param scenario        {@code chat} or {@code connections}
 * @param workers         how many processes contributed
 * @param warmupSeconds   warmup before the measured window
 * @param durationSeconds the measured window
 * @param settings        the run's settings, for the report (url, rate, users, ...)
 * @param counters        summed counters
 * @param maxima          values merged by maximum (e.g. the connect ramp's duration in milliseconds)
 * @param histograms      measured latency histograms (microseconds), by metric name
 * @param series          per-second interval histograms (microseconds), by metric name
 */
public record RunResult(String scenario, int workers, double warmupSeconds, double durationSeconds,
                        Map<String, String> settings, Map<String, Long> counters, Map<String, Long> maxima,
                        Map<String, String> histograms, Map<String, List<String>> series) {

    public RunResult {
        requireNonNull(scenario, "scenario");
        settings = Map.copyOf(settings);
        counters = Map.copyOf(counters);
        maxima = Map.copyOf(maxima);
        histograms = Map.copyOf(histograms);
        series = Map.copyOf(series);
    }

    /** A counter's value, 0 if absent. */
    public long counter(String name) {
        return counters.getOrDefault(name, 0L);
    }

    /** The sum of the counters whose names start with {@code prefix}. */
    public long sumPrefix(String prefix) {
        long sum = 0;
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /** The decoded histogram of {@code metric}, empty if absent. */
    public Histogram histogram(String metric) {
        final String enc = histograms.get(metric);
        return enc == null ? HistogramCodec.empty() : HistogramCodec.decode(enc);
    }

    /**
     * Merges the results of several processes of one run (same scenario and settings) exactly.
     *
     * @throws IllegalArgumentException if {@code parts} is empty or mixes scenarios
     */
    public static RunResult merge(List<RunResult> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge");
        }
        final RunResult first = parts.get(0);
        final Map<String, Long> counters = new TreeMap<>();
        final Map<String, Long> maxima = new TreeMap<>();
        final Map<String, Histogram> histograms = new TreeMap<>();
        final Map<String, List<Histogram>> series = new TreeMap<>();
        int workers = 0;
        for (RunResult r : parts) {
            if (!r.scenario.equals(first.scenario)) {
                throw new IllegalArgumentException("cannot merge " + r.scenario + " into " + first.scenario);
            }
            workers += r.workers;
            r.counters.forEach((k, v) -> counters.merge(k, v, Long::sum));
            r.maxima.forEach((k, v) -> maxima.merge(k, v, Math::max));
            r.histograms.forEach((k, v) -> histograms.computeIfAbsent(k, x -> HistogramCodec.empty())
                    .add(HistogramCodec.decode(v)));
            r.series.forEach((k, list) -> {
                final List<Histogram> acc = series.computeIfAbsent(k, x -> new ArrayList<>());
                for (int i = 0; i < list.size(); i++) {
                    if (acc.size() <= i) {
                        acc.add(HistogramCodec.empty());
                    }
                    acc.get(i).add(HistogramCodec.decode(list.get(i)));
                }
            });
        }
        final Map<String, String> encoded = new LinkedHashMap<>();
        histograms.forEach((k, h) -> encoded.put(k, HistogramCodec.encode(h)));
        final Map<String, List<String>> encodedSeries = new LinkedHashMap<>();
        series.forEach((k, list) -> encodedSeries.put(k, list.stream().map(HistogramCodec::encode).toList()));
        return new RunResult(first.scenario, workers, first.warmupSeconds, first.durationSeconds, first.settings,
                counters, maxima, encoded, encodedSeries);
    }
}
