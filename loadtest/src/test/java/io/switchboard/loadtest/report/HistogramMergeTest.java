package io.switchboard.loadtest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class HistogramMergeTest {

    @Test
    void encodeDecodeIsExact() {
        final Histogram h = HistogramCodec.empty();
        final Random r = new Random(1);
        for (int i = 0; i < 100_000; i++) {
            h.recordValue((long) Math.abs(r.nextGaussian() * 2000) + 50);
        }
        h.recordValue(30_000_000);
        final Histogram back = HistogramCodec.decode(HistogramCodec.encode(h));
        assertEquals(h, back);
        assertEquals(h.getValueAtPercentile(99.99), back.getValueAtPercentile(99.99));
    }

    @Test
    void mergeOfWorkersEqualsOneHistogramOfEverything() {
        final Histogram all = HistogramCodec.empty();
        final Random r = new Random(7);
        final RunResult[] parts = new RunResult[3];
        for (int w = 0; w < 3; w++) {
            final Histogram mine = HistogramCodec.empty();
            final Histogram second1 = HistogramCodec.empty();
            for (int i = 0; i < 10_000 * (w + 1); i++) {
                final long v = 100 + r.nextInt(5000 * (w + 1));
                mine.recordValue(v);
                all.recordValue(v);
                if (i % 2 == 0) {
                    second1.recordValue(v);
                }
            }
            parts[w] = new RunResult("chat", 1, 1, 10, Map.of("url", "ws://127.0.0.1:1/x"),
                    Map.of("chat.sent", 100L * (w + 1), "receipt.0.push-success", 100L * (w + 1)),
                    Map.of("connect.rampMillis", 1000L + w),
                    Map.of("receipt", HistogramCodec.encode(mine)),
                    Map.of("receipt", List.of(HistogramCodec.encode(second1))));
        }
        final RunResult merged = RunResult.merge(List.of(parts));
        assertEquals(3, merged.workers());
        assertEquals(600, merged.counter("chat.sent"));
        assertEquals(600, merged.counter("receipt.0.push-success"));
        assertEquals(1002, merged.maxima().get("connect.rampMillis"));
        final Histogram h = merged.histogram("receipt");
        assertEquals(all, h);
        assertEquals(all.getValueAtPercentile(99.9), h.getValueAtPercentile(99.9));
        assertEquals(1, merged.series().get("receipt").size());
        assertEquals(30_000, HistogramCodec.decode(merged.series().get("receipt").get(0)).getTotalCount());
        // And the merged result survives the worker line format.
        assertEquals(merged.counters(), ResultJson.fromLine(ResultJson.toLine(merged)).counters());
        assertEquals(all, ResultJson.fromLine(ResultJson.toLine(merged)).histogram("receipt"));
    }

    @Test
    void latencyRecorderKeepsWarmupOutOfTheTotalButInTheSeries() {
        final LatencyRecorder r = new LatencyRecorder("receipt");
        r.record(100, false);
        r.record(200, true);
        r.record(-5, true);
        final Histogram interval = r.tick();
        assertEquals(3, interval.getTotalCount());
        r.record(300, true);
        r.tick();
        assertEquals(3, r.total().getTotalCount());
        assertEquals(0, r.total().getMinValue());
        assertEquals(2, r.series().size());
    }
}
