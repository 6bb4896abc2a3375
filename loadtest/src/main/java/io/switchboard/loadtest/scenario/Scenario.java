package io.switchboard.loadtest.scenario;

import io.switchboard.loadtest.report.Counters;
import io.switchboard.loadtest.report.LatencyRecorder;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One process's part of a load scenario. The runner calls, from its own (non-loop) thread: {@link #prepare},
 * then {@link #start}, {@link #awaitStarted}, waits out warmup and duration, {@link #stopTraffic}, polls
 * {@link #drained} for a bounded time, and finally {@link #close}. Traffic itself runs on the shared event loops.
 */
public interface Scenario {

    /** {@code chat} or {@code connections}. */
    String name();

    /** Work before the synchronized start (chat: connect and match everyone). Bounded by {@code timeout}. */
    void prepare(Duration timeout) throws InterruptedException;

    /** Starts the traffic; {@code startNanos} is the schedule's origin on {@code System.nanoTime()}. */
    void start(long startNanos);

    /** Waits until the started phase is established (connections: the ramp is over). Bounded by {@code timeout}. */
    void awaitStarted(Duration timeout) throws InterruptedException;

    /** Stops generating new traffic; outstanding messages may still arrive. */
    void stopTraffic();

    /** Whether every outstanding answer has arrived. */
    boolean drained();

    /** Closes every connection, waiting at most {@code timeout}. */
    void close(Duration timeout) throws InterruptedException;

    /** Connections currently open. */
    long openConnections();

    /** Errors so far (for the progress line). */
    long errors();

    /** Messages sent so far (for the progress line). */
    long sent();

    /** Messages received so far (for the progress line). */
    long received();

    /** The latency metrics, the first being the primary one. */
    List<LatencyRecorder> latencies();

    Counters counters();

    /** Values merged by maximum across processes. */
    Map<String, Long> maxima();
}
