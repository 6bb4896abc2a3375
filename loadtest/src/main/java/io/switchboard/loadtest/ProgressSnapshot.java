package io.switchboard.loadtest;

/**
 * One second's progress of one process: cumulative counts and the primary metric's interval histogram (encoded,
 * {@code null} while there is none). Workers send these to the coordinator, which adds them up.
 *
 * @param phase    {@code connecting}, {@code warmup}, {@code run}, {@code drain}
 * @param open     open connections
 * @param sent     messages sent so far
 * @param received messages received so far
 * @param errors   errors so far
 * @param metric   name of the primary latency metric
 * @param interval the metric's histogram over the last second, encoded, or {@code null}
 */
public record ProgressSnapshot(String phase, long open, long sent, long received, long errors, String metric,
                               String interval) {}
