/**
 * The server-side HTTP API for backends ({@code docs/API.md}, {@code docs/openapi.yaml}): a listener of its own on the
 * gateway's event loops, with push to users, lists or roles, user lookup, disconnect (4003) and stats
 * ({@link io.switchboard.gateway.api.ApiChannelInitializer}, {@code ApiHandler}, {@code PushService},
 * {@link io.switchboard.gateway.api.ApiKey}); {@code /healthz}, {@code /readyz} and {@code /metrics} come from
 * {@code http.OpsEndpoints}. It may use {@code chat} (through {@code Router}, {@code MatchService}, {@code Presence}),
 * {@code session}, {@code metrics}, {@code config}, {@code http} and the protocol module, never {@code pipeline} or
 * {@code cluster}.
 */
package io.switchboard.gateway.api;
