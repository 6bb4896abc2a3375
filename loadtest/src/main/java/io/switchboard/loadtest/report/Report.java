package io.switchboard.loadtest.report;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * What a person wants to know about a run, derived from the merged {@link RunResult}: the summary (sent, achieved
 * rate, lost, duplicated, reordered, errors), latency percentiles per metric, the percentile distribution, the
 * per-second series, and the verdict of the {@link SloGates}. {@link #model()} is the data of the JSON report and of
 * the HTML page.
 *
 * <p>Latencies are in microseconds throughout.
 */
public final class Report {

    /** The scenario's primary latency metric, checked by {@code --max-p99}. */
    public static final String CHAT_PRIMARY = "receipt";
    public static final String CONNECTIONS_PRIMARY = "connect";
    /** The queue scenario's: from the {@code match} request to the {@code match} that pairs the user. */
    public static final String QUEUE_PRIMARY = "queue-wait";

    private final RunResult result;
    private final Map<String, Object> summary;
    private final List<Map<String, Object>> slo;
    private final boolean passed;

    private Report(RunResult result, SloGates gates) {
        this.result = result;
        summary = summarize(result);
        // The primary latency's percentiles in the summary too, where scripts find them by a unique key.
        final Histogram primary = result.histogram(primaryMetric());
        summary.put("primaryP50", primary.getValueAtPercentile(50));
        summary.put("primaryP99", primary.getValueAtPercentile(99));
        summary.put("primaryP999", primary.getValueAtPercentile(99.9));
        slo = evaluate(gates);
        passed = slo.stream().allMatch(g -> Boolean.TRUE.equals(g.get("passed")));
    }

    /** The report of {@code result} judged against {@code gates}. */
    public static Report of(RunResult result, SloGates gates) {
        return new Report(requireNonNull(result, "result"), requireNonNull(gates, "gates"));
    }

    public RunResult result() {
        return result;
    }

    /** Whether every SLO gate passed (true when there are none). */
    public boolean passed() {
        return passed;
    }

    /** The gates that failed, as human-readable lines. */
    public List<String> violations() {
        final List<String> out = new ArrayList<>();
        for (Map<String, Object> g : slo) {
            if (!Boolean.TRUE.equals(g.get("passed"))) {
                out.add(g.get("name") + ": " + g.get("actual") + " > " + g.get("limit"));
            }
        }
        return out;
    }

    /** A summary value (see {@link #model()}'s {@code summary}). */
    public Number summary(String key) {
        return (Number) summary.get(key);
    }

    /** The name of the metric {@code --max-p99} applies to. */
    public String primaryMetric() {
        return switch (result.scenario()) {
            case "connections" -> CONNECTIONS_PRIMARY;
            case "queue" -> QUEUE_PRIMARY;
            default -> CHAT_PRIMARY;
        };
    }

    /** The report's data: what the JSON report holds and the HTML page embeds. */
    public Map<String, Object> model() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", result.scenario());
        m.put("workers", result.workers());
        m.put("warmupSeconds", result.warmupSeconds());
        m.put("durationSeconds", result.durationSeconds());
        m.put("settings", result.settings());
        m.put("summary", summary);
        m.put("passed", passed);
        m.put("slo", slo);
        m.put("primaryMetric", primaryMetric());
        final Map<String, Object> latency = new LinkedHashMap<>();
        final Map<String, Object> distribution = new LinkedHashMap<>();
        for (String metric : result.histograms().keySet()) {
            final Histogram h = result.histogram(metric);
            latency.put(metric, percentiles(h));
            distribution.put(metric, distribution(h));
        }
        m.put("latency", latency);
        m.put("distribution", distribution);
        final Map<String, Object> series = new LinkedHashMap<>();
        result.series().forEach((metric, list) -> series.put(metric, series(list)));
        m.put("series", series);
        m.put("counters", result.counters());
        m.put("maxima", result.maxima());
        return m;
    }

    /** count, min, mean, p50, p90, p99, p99.9, p99.99, max of {@code h}, in microseconds. */
    public static Map<String, Object> percentiles(Histogram h) {
        final Map<String, Object> p = new LinkedHashMap<>();
        final long n = h.getTotalCount();
        p.put("count", n);
        p.put("min", n == 0 ? 0 : h.getMinValue());
        p.put("mean", n == 0 ? 0.0 : round1(h.getMean()));
        p.put("p50", h.getValueAtPercentile(50));
        p.put("p90", h.getValueAtPercentile(90));
        p.put("p99", h.getValueAtPercentile(99));
        p.put("p999", h.getValueAtPercentile(99.9));
        p.put("p9999", h.getValueAtPercentile(99.99));
        p.put("max", h.getMaxValue());
        return p;
    }

    private static List<double[]> distribution(Histogram h) {
        final List<double[]> points = new ArrayList<>();
        if (h.getTotalCount() == 0) {
            return points;
        }
        for (HistogramIterationValue v : h.percentiles(5)) {
            final double pct = v.getPercentileLevelIteratedTo();
            points.add(new double[] {pct, h.highestEquivalentValue(v.getValueIteratedTo())});
            if (pct >= 100.0) {
                break;
            }
        }
        return points;
    }

    private static List<Map<String, Object>> series(List<String> encoded) {
        final List<Map<String, Object>> out = new ArrayList<>(encoded.size());
        for (int i = 0; i < encoded.size(); i++) {
            final Histogram h = HistogramCodec.decode(encoded.get(i));
            final Map<String, Object> s = new LinkedHashMap<>();
            s.put("t", i + 1);
            s.put("count", h.getTotalCount());
            s.put("p50", h.getValueAtPercentile(50));
            s.put("p99", h.getValueAtPercentile(99));
            s.put("max", h.getMaxValue());
            out.add(s);
        }
        return out;
    }

    private static Map<String, Object> summarize(RunResult r) {
        final Map<String, Object> s = new LinkedHashMap<>();
        final long attempted = r.counter("connect.attempted");
        final long established = r.counter("connect.established");
        s.put("connectAttempted", attempted);
        s.put("connectEstablished", established);
        s.put("connectFailed", r.sumPrefix("error.connect."));
        final long rampMillis = r.maxima().getOrDefault("connect.rampMillis", 0L);
        s.put("connectRate", rampMillis == 0 ? 0.0 : round1(established * 1000.0 / rampMillis));
        s.put("closedByServer", r.sumPrefix("error.closed."));
        if ("connections".equals(r.scenario())) {
            s.put("pings", r.counter("ping.sent"));
            s.put("pongs", r.counter("ping.pong"));
            final long errors = r.sumPrefix("error.");
            s.put("errors", errors);
            s.put("errorRate", round6((double) errors / Math.max(1, attempted)));
            s.put("lost", 0L);
            return s;
        }
        if ("queue".equals(r.scenario())) {
            return summarizeQueue(r, s, attempted);
        }
        final long sent = r.counter("chat.sent");
        final long receiptsOk = r.sumPrefix("receipt.0.");
        final long receiptsFailed = r.sumPrefix("receipt.1.");
        final long receipts = receiptsOk + receiptsFailed;
        final long missingReceipts = Math.max(0, sent - receipts);
        final long delivered = r.counter("agent.delivered");
        final long repliesSent = r.counter("agent.replies.sent");
        final long repliesFailed = r.sumPrefix("agent.receipt.1.");
        final long repliesReceived = r.counter("user.replies");
        final long lostDeliveries = Math.max(0, sent - receiptsFailed - delivered);
        final long lostReplies = Math.max(0, repliesSent - repliesFailed - repliesReceived);
        final long duplicates = r.counter("agent.duplicates") + r.counter("user.replies.duplicates");
        final long reordered = r.counter("agent.reordered") + r.counter("user.replies.reordered");
        s.put("sent", sent);
        s.put("offeredRate", r.settings().getOrDefault("rate", "-"));
        s.put("achievedRate", r.durationSeconds() <= 0 ? 0.0
                : round1(r.counter("chat.sent.in-window") / r.durationSeconds()));
        s.put("receipts", receipts);
        s.put("receiptsOk", receiptsOk);
        s.put("receiptsFailed", receiptsFailed);
        s.put("receiptsMissing", missingReceipts);
        s.put("delivered", delivered);
        s.put("repliesSent", repliesSent);
        s.put("repliesReceived", repliesReceived);
        s.put("duplicates", duplicates);
        s.put("reordered", reordered);
        s.put("lostDeliveries", lostDeliveries);
        s.put("lostReplies", lostReplies);
        s.put("lost", lostDeliveries + lostReplies);
        final long errors = r.sumPrefix("error.") + receiptsFailed + repliesFailed + missingReceipts + duplicates
                + reordered;
        s.put("errors", errors);
        s.put("errorRate", round6((double) errors / Math.max(1, sent + attempted)));
        if ("true".equals(r.settings().get("ack"))) {
            // --ack (PROTOCOL.md §5): what the seqs caught before the application. "duplicates" above stays what
            // the application saw, which acknowledged delivery should keep at 0.
            s.put("seqDuplicatesSuppressed", r.counter("ack.duplicates-suppressed"));
            s.put("seqGaps", r.counter("ack.gaps"));
            s.put("seqGapMessages", r.counter("ack.gap-seqs"));
            s.put("acksSent", r.counter("ack.sent"));
            s.put("reconnects", r.counter("ack.reconnected"));
            s.put("resent", r.counter("ack.resent"));
        }
        return s;
    }

    /** The queue scenario: how users fared in the queue, and whether every message of the conversations came back. */
    private static Map<String, Object> summarizeQueue(RunResult r, Map<String, Object> s, long attempted) {
        final Histogram wait = r.histogram(QUEUE_PRIMARY);
        final long sent = r.counter("chat.sent");
        final long receiptsFailed = r.sumPrefix("receipt.1.");
        final long replies = r.counter("user.replies");
        s.put("asked", r.counter("queue.asked"));
        s.put("queued", r.counter("queue.queued"));
        s.put("matchedAtOnce", r.counter("queue.matched-at-once"));
        s.put("matchedFromQueue", r.counter("queue.matched-from-queue"));
        s.put("positionUpdates", r.counter("queue.position-updates"));
        s.put("refused", r.sumPrefix("queue.refused."));
        s.put("leftAtStop", r.counter("queue.left-at-stop"));
        s.put("conversations", r.counter("queue.conversations-completed"));
        // The gateway's notices overtaking each other (QueueScenario's class comment): visible, not errors.
        s.put("outOfOrderNotices", r.counter("queue.position-out-of-order") + r.counter("queue.match-after-leave")
                + r.counter("agent.over-capacity-seen") + r.counter("agent.leave-before-match"));
        s.put("waitP50Ms", round1(wait.getValueAtPercentile(50) / 1000.0));
        s.put("waitP99Ms", round1(wait.getValueAtPercentile(99) / 1000.0));
        s.put("waitMaxMs", round1(wait.getMaxValue() / 1000.0));
        s.put("sent", sent);
        s.put("repliesReceived", replies);
        final long lost = Math.max(0, sent - receiptsFailed - replies);
        s.put("lost", lost);
        final long errors = r.sumPrefix("error.") + receiptsFailed + r.sumPrefix("agent.receipt.1.") + lost;
        s.put("errors", errors);
        s.put("errorRate", round6((double) errors / Math.max(1, sent + attempted)));
        return s;
    }

    private List<Map<String, Object>> evaluate(SloGates gates) {
        final List<Map<String, Object>> out = new ArrayList<>();
        if (gates.maxP99() != null) {
            final long limit = gates.maxP99().toNanos() / 1000;
            final long actual = result.histogram(primaryMetric()).getValueAtPercentile(99);
            out.add(gate("p99 " + primaryMetric() + " (us)", limit, actual, actual <= limit));
        }
        if (gates.maxErrorRate() != null) {
            final double actual = ((Number) summary.get("errorRate")).doubleValue();
            out.add(gate("error rate", gates.maxErrorRate(), actual, actual <= gates.maxErrorRate()));
        }
        if (gates.maxLost() != null) {
            final long actual = ((Number) summary.get("lost")).longValue();
            out.add(gate("lost messages", gates.maxLost(), actual, actual <= gates.maxLost()));
        }
        return out;
    }

    private static Map<String, Object> gate(String name, Object limit, Object actual, boolean passed) {
        final Map<String, Object> g = new LinkedHashMap<>();
        g.put("name", name);
        g.put("limit", limit);
        g.put("actual", actual);
        g.put("passed", passed);
        return g;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round6(double v) {
        return Math.round(v * 1e6) / 1e6;
    }
}
