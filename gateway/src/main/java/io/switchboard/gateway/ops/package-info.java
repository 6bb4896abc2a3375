/**
 * What the gateway reports about itself to operators: {@link io.switchboard.gateway.ops.GatewayStatus} (the
 * {@code /healthz} body, readiness, the {@code /api/v1/stats} figures) and
 * {@link io.switchboard.gateway.ops.DashboardStats} (the {@code /dashboard/stats} JSON of {@code docs/DASHBOARD.md}).
 * Both read live state without I/O and are safe on an event loop. It may read {@code chat}, {@code session} and
 * {@code metrics}, never {@code pipeline}, {@code api} or {@code cluster}; the listeners receive its answers as
 * suppliers from the composition root.
 */
package io.switchboard.gateway.ops;
