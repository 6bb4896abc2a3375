/**
 * The Switchboard gateway. Its supported surface is {@link io.switchboard.gateway.SwitchboardMain} (the command
 * line), {@link io.switchboard.gateway.GatewayServer} (embedding and tests) and
 * {@link io.switchboard.gateway.config.GatewayConfig}, plus the counters {@link io.switchboard.gateway.metrics.GatewayMetrics};
 * everything else is internal.
 */
package io.switchboard.gateway;
