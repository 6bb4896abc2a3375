/**
 * What the gateway counts, on Micrometer alone: {@link io.switchboard.gateway.metrics.GatewayMetrics} records every
 * event into {@code switchboard.*} meters resolved once on the registry it is given (a {@code SimpleMeterRegistry} in
 * tests) and reads them back for the stats endpoints; {@link io.switchboard.gateway.metrics.PrometheusMetrics} owns
 * the Prometheus registry behind {@code /metrics}, with the JVM and Netty binders; and
 * {@link io.switchboard.gateway.metrics.RoutingLatency} keeps the HdrHistogram behind the dashboard's latency
 * percentiles. It depends on nothing of the gateway but the session {@code Role} (and the protocol's
 * {@code Failure}); every other package may record into it.
 */
package io.switchboard.gateway.metrics;
