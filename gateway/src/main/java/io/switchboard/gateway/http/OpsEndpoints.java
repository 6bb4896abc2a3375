package io.switchboard.gateway.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operator endpoints both listeners serve, answered in one place: {@code GET /healthz} (live, with counts),
 * {@code GET /readyz} (200 while accepting, 503 while draining) and {@code GET /metrics} (Prometheus text). Each
 * listener checks the method and formats its own errors; this class only builds the answers. Stateless; safe to
 * share and to call from an event loop.
 */
public final class OpsEndpoints {

    private final BooleanSupplier ready;
    private final Supplier<String> healthJson;
    private final Supplier<String> metricsText;

    /**
     * @param ready       whether the gateway accepts traffic (false while draining)
     * @param healthJson  the body of {@code /healthz}
     * @param metricsText the Prometheus text of {@code /metrics}, or {@code null} to serve no {@code /metrics}
     */
    public OpsEndpoints(BooleanSupplier ready, Supplier<String> healthJson, Supplier<String> metricsText) {
        this.ready = ready;
        this.healthJson = healthJson;
        this.metricsText = metricsText;
    }

    /** Whether {@code path} is one of the endpoints served here. */
    public boolean serves(String path) {
        return switch (path) {
            case "/healthz", "/readyz" -> true;
            case "/metrics" -> metricsText != null;
            default -> false;
        };
    }

    /** The answer to a {@code GET} of {@code path}, which {@link #serves} this class. */
    public FullHttpResponse respond(ChannelHandlerContext ctx, String path) {
        return switch (path) {
            case "/healthz" -> HttpResponses.json(ctx, HttpResponseStatus.OK, healthJson.get());
            case "/readyz" -> ready.getAsBoolean()
                              ? HttpResponses.json(ctx, HttpResponseStatus.OK, "{\"status\":\"ready\"}")
                              : HttpResponses.json(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
                                                   "{\"status\":\"draining\"}");
            case "/metrics" -> HttpResponses.text(ctx, HttpResponseStatus.OK, metricsText.get(),
                                                  HttpResponses.PROMETHEUS_TEXT);
            default -> throw new IllegalArgumentException("not an operator endpoint: " + path);
        };
    }
}
