/**
 * Immutable gateway configuration: {@link io.switchboard.gateway.config.GatewayConfig} composed of one record per
 * concern, each validated when built, and {@link io.switchboard.gateway.config.ConfigLoader}, the only code that
 * reads the environment, a config file or the command line. It depends on nothing of the gateway; the composition
 * root hands each component its record or the values it needs, and {@code chat} never sees it.
 */
package io.switchboard.gateway.config;
