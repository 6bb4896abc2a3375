/**
 * Immutable gateway configuration: {@link io.switchboard.gateway.config.GatewayConfig} composed of one record per
 * concern, each validated when built. {@link io.switchboard.gateway.config.ConfigLoader} is the only code that reads
 * the environment, a config file or the command line.
 */
package io.switchboard.gateway.config;
