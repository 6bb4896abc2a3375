/**
 * Measurement and reporting: {@link io.switchboard.loadtest.report.LatencyRecorder} (HdrHistogram, microseconds,
 * per-second interval histograms), {@link io.switchboard.loadtest.report.Counters}, the mergeable
 * {@link io.switchboard.loadtest.report.RunResult} that worker processes send back, and the
 * {@link io.switchboard.loadtest.report.Report} derived from it, written as a table, JSON or a self-contained
 * HTML page.
 */
package io.switchboard.loadtest.report;
