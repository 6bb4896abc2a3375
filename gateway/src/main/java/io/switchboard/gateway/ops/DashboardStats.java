package io.switchboard.gateway.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.MemoryHold;
import io.switchboard.gateway.chat.SessionLifecycle;
import io.switchboard.gateway.chat.Stages;
import io.switchboard.gateway.chat.Waiting;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.metrics.RoutingLatency;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Failure;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The body of {@code GET /dashboard/stats}: live gauges and running counters of one gateway as JSON, documented in
 * {@code docs/DASHBOARD.md}. Counters are totals since start, so a client derives rates from the deltas of two polls.
 * The routing latency is the interval since the previous poll (at most one swap a second however many dashboards
 * poll, so two dashboards do not split the intervals between them) plus the running total.
 *
 * <p>Thread-safe; called on an event loop once a second per open dashboard. Its cost is O(agents) for the top-N
 * agent loads and O(histogram buckets) for the latency, and it takes the match service's lock briefly.
 */
public final class DashboardStats implements Supplier<String> {

    /** How many of the most loaded agents the stats list. */
    static final int TOP_AGENTS = 10;
    private static final long MIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(900);
    /** Ascending by load, ties broken by descending id, so the reversed order lists ties alphabetically. */
    private static final Comparator<Map.Entry<String, Integer>> BY_LOAD =
            Comparator.<Map.Entry<String, Integer>>comparingInt(Map.Entry::getValue)
                      .thenComparing(Map.Entry::getKey, Comparator.reverseOrder());

    private final SessionRegistry registry;
    private final MatchService matches;
    private final MemoryHold offline;
    private final SessionLifecycle lifecycle;
    private final GatewayMetrics metrics;
    private final Clock clock;
    private final boolean showAgentIds;
    private final ObjectMapper mapper = new ObjectMapper();
    private final long startedAtMillis;
    /** Guarded by {@code this}. */
    private RoutingLatency.Snapshot latency;
    /** Guarded by {@code this}. */
    private long latencyAtNanos;
    /** Guarded by {@code this}. */
    private long latencyIntervalNanos;

    public DashboardStats(SessionRegistry registry, MatchService matches, MemoryHold offline,
                          SessionLifecycle lifecycle, GatewayMetrics metrics, Clock clock) {
        this(registry, matches, offline, lifecycle, metrics, clock, true);
    }

    /**
     * @param showAgentIds whether {@code agents.top} names the most loaded agents; without an API key the stats are
     *                     public on the main port, so they show counts only ({@code top} is empty)
     */
    public DashboardStats(SessionRegistry registry, MatchService matches, MemoryHold offline,
                          SessionLifecycle lifecycle, GatewayMetrics metrics, Clock clock, boolean showAgentIds) {
        this.showAgentIds = showAgentIds;
        this.registry = registry;
        this.matches = matches;
        this.offline = offline;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.clock = clock;
        this.startedAtMillis = clock.millis();
        this.latencyAtNanos = System.nanoTime();
    }

    @Override
    public String get() {
        final long now = clock.millis();
        final Map<String, Object> root = new LinkedHashMap<>();
        root.put("timestamp", now);
        root.put("uptimeMillis", now - startedAtMillis);
        final int users = registry.count(Role.USER);
        final int agents = registry.count(Role.AGENT);
        root.put("connections", ordered("total", registry.size(), "users", users, "agents", agents));
        root.put("pairings", matches.pairings());
        root.put("agents", agentStats(agents));
        root.put("queue", queueStats(now));
        root.put("offlineHeld", offline.size());
        root.put("reconnectGraceTimers", lifecycle.graceTimers());
        final long routed = metrics.messagesRouted();
        final long held = metrics.messagesHeld();
        final Map<String, Long> failed = new LinkedHashMap<>();
        for (Failure f : Failure.values()) {
            failed.put(f.reason(), metrics.failures(f));
        }
        root.put("messages", ordered("routed", routed, "held", held));
        root.put("receipts", ordered("pushSuccess", routed, "storedOffline", held, "failed", failed));
        root.put("latency", latencyStats());
        root.put("counters", metrics.snapshot());
        try {
            return mapper.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stats not serializable", e);
        }
    }

    private Map<String, Object> agentStats(int connectedAgents) {
        final Map<String, Integer> loads = matches.loads();
        // A bounded min-heap keeps the N most loaded: O(agents log N), no full sort.
        final PriorityQueue<Map.Entry<String, Integer>> top = new PriorityQueue<>(TOP_AGENTS + 1, BY_LOAD);
        long totalLoad = 0;
        for (Map.Entry<String, Integer> e : loads.entrySet()) {
            totalLoad += e.getValue();
            if (!showAgentIds) {
                continue;
            }
            top.add(e);
            if (top.size() > TOP_AGENTS) {
                top.poll();
            }
        }
        final List<Map.Entry<String, Integer>> sorted = new ArrayList<>(top);
        sorted.sort(BY_LOAD.reversed());
        final List<Map<String, Object>> list = new ArrayList<>(sorted.size());
        for (Map.Entry<String, Integer> e : sorted) {
            list.add(ordered("id", e.getKey(), "load", e.getValue()));
        }
        final Map<String, Integer> byStatus = matches.agentsByStatus();
        return ordered("connected", connectedAgents, "available", matches.availableAgents(),
                       "capacity", matches.capacity(), "totalLoad", totalLoad, "top", list,
                       "byStatus", ordered("available", byStatus.getOrDefault("available", 0),
                                           "away", byStatus.getOrDefault("away", 0)));
    }

    /**
     * The waiting queue ({@code PROTOCOL.md} §6): its length, the longest current wait, and the wait percentiles of
     * the users who left it (matched, timed out or left) over the timer's recent window. Counts and durations only,
     * never user ids. When the queue lives in a shared store and its copy is not at hand without waiting, the length
     * is this gateway's view and the longest wait is {@code null}.
     */
    private Map<String, Object> queueStats(long now) {
        final List<Waiting> waiting = Stages.valueIfDone(matches.waiting());
        final Object length;
        Object longest = null;
        if (waiting != null) {
            length = waiting.size();
            long oldest = Long.MAX_VALUE;
            for (Waiting w : waiting) {
                oldest = Math.min(oldest, w.sinceMillis());
            }
            longest = waiting.isEmpty() ? 0L : Math.max(0, now - oldest);
        } else {
            length = matches.waitingCount();
        }
        final Map<String, Double> wait = metrics.queueWaitMillis();
        return ordered("length", length, "longestWaitMillis", longest,
                       "wait", ordered("unit", "ms", "count", Math.round(wait.getOrDefault("count", 0.0)),
                                       "p50", Math.round(wait.getOrDefault("p50", 0.0)),
                                       "p99", Math.round(wait.getOrDefault("p99", 0.0)),
                                       "max", Math.round(wait.getOrDefault("max", 0.0))));
    }

    private synchronized Map<String, Object> latencyStats() {
        final long nowNanos = System.nanoTime();
        if (latency == null || nowNanos - latencyAtNanos >= MIN_INTERVAL_NANOS) {
            latency = metrics.routingLatency().interval();
            latencyIntervalNanos = nowNanos - latencyAtNanos;
            latencyAtNanos = nowNanos;
        }
        return ordered("unit", "us", "intervalMillis", TimeUnit.NANOSECONDS.toMillis(latencyIntervalNanos),
                       "interval", summary(latency.interval()), "total", summary(latency.total()));
    }

    private static Map<String, Object> summary(RoutingLatency.Summary s) {
        return ordered("count", s.count(), "p50", s.p50Micros(), "p99", s.p99Micros(), "p999", s.p999Micros(),
                       "max", s.maxMicros());
    }

    /** A map that keeps the order of its alternating keys and values, so the JSON reads like the docs. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        final Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
