/**
 * The per-connection pipeline: {@link io.switchboard.gateway.pipeline.GatewayChannelInitializer} assembles Netty's
 * HTTP and WebSocket handlers with small Switchboard handlers, one concern each, in the order
 * {@link io.switchboard.gateway.pipeline.HandlerNames} documents. Everything HTTP is decided before the upgrade.
 */
package io.switchboard.gateway.pipeline;
