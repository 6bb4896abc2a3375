/**
 * Plain-HTTP helpers shared by both listeners: {@link io.switchboard.gateway.http.HttpResponses} (JSON and text
 * responses, error bodies, send with or without keep-alive) and {@link io.switchboard.gateway.http.OpsEndpoints},
 * which answers {@code /healthz}, {@code /readyz} (503 while draining) and {@code /metrics} from suppliers it is
 * given. It depends on Netty only, never on another gateway package, so {@code pipeline} and {@code api} can both use
 * it without using each other.
 */
package io.switchboard.gateway.http;
