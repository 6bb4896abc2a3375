/**
 * What the gateway counts: the {@link io.switchboard.gateway.metrics.GatewayMetrics} SPI with no-op defaults, and
 * {@link io.switchboard.gateway.metrics.CounterGatewayMetrics}, a cheap in-process implementation of counters that the
 * HTTP endpoints and the tests read, {@link io.switchboard.gateway.metrics.MicrometerGatewayMetrics} behind the
 * Prometheus {@code /metrics} endpoint, and {@link io.switchboard.gateway.metrics.FanOutGatewayMetrics} that feeds
 * both.
 */
package io.switchboard.gateway.metrics;
