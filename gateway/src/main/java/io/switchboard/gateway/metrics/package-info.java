/**
 * What the gateway counts, on Micrometer alone: {@link io.switchboard.gateway.metrics.GatewayMetrics} records every
 * event into meters resolved once on the registry it is given and reads them back for the stats endpoints and tests,
 * {@link io.switchboard.gateway.metrics.PrometheusMetrics} owns the Prometheus registry behind {@code /metrics} with
 * the JVM and Netty binders, and {@link io.switchboard.gateway.metrics.RoutingLatency} keeps the HdrHistogram the
 * dashboard's latency percentiles come from. It depends on nothing of the gateway but the session {@code Role}.
 */
package io.switchboard.gateway.metrics;
