package io.switchboard.gateway.ops;

import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.MemoryHold;
import io.switchboard.gateway.chat.SessionLifecycle;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.SessionRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * What the gateway reports about itself to operators: the body of {@code /healthz}, readiness ({@code /readyz}) and
 * the figures of {@code GET /api/v1/stats} (docs/API.md). Reads live state without locks or I/O. Thread-safe and
 * non-blocking: safe to call from an event loop.
 */
public final class GatewayStatus {

    private final SessionRegistry registry;
    private final MatchService matches;
    private final MemoryHold offline;
    private final SessionLifecycle lifecycle;
    private final GatewayMetrics metrics;
    private final IntSupplier webhooksQueued;
    private final BooleanSupplier listening;
    private final BooleanSupplier draining;

    /**
     * @param webhooksQueued webhook events waiting to be sent
     * @param listening      whether the main listener is bound and open
     * @param draining       whether the gateway is shutting down
     */
    public GatewayStatus(SessionRegistry registry, MatchService matches, MemoryHold offline,
                         SessionLifecycle lifecycle, GatewayMetrics metrics, IntSupplier webhooksQueued,
                         BooleanSupplier listening, BooleanSupplier draining) {
        this.registry = registry;
        this.matches = matches;
        this.offline = offline;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.webhooksQueued = webhooksQueued;
        this.listening = listening;
        this.draining = draining;
    }

    /** Whether the gateway accepts traffic: bound and not draining. */
    public boolean isReady() {
        return listening.getAsBoolean() && !draining.getAsBoolean();
    }

    /** The body of {@code GET /healthz}. */
    public String healthJson() {
        return "{\"status\":\"UP\",\"connections\":" + registry.size()
               + ",\"users\":" + registry.count(Role.USER) + ",\"agents\":" + registry.count(Role.AGENT)
               + ",\"pairings\":" + matches.pairings() + ",\"offlineHeld\":" + offline.size()
               + ",\"draining\":" + draining.getAsBoolean() + '}';
    }

    /** The body of {@code GET /api/v1/stats}. */
    public Map<String, Object> stats() {
        final Map<String, Object> connections = new LinkedHashMap<>();
        connections.put("user", registry.count(Role.USER));
        connections.put("agent", registry.count(Role.AGENT));
        connections.put("total", registry.size());
        final Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("connections", connections);
        stats.put("pairs", matches.pairings());
        stats.put("availableAgents", matches.availableAgents());
        stats.put("offlineHeld", offline.size());
        stats.put("reconnectGraceTimers", lifecycle.graceTimers());
        stats.put("messagesRouted", metrics.messagesRouted());
        stats.put("webhooksQueued", webhooksQueued.getAsInt());
        stats.put("draining", draining.getAsBoolean());
        stats.put("counters", metrics.snapshot());
        return stats;
    }
}
