/**
 * Gateway configuration. {@link io.switchboard.gateway.config.GatewayConfig} is immutable and composed of one record
 * per concern (server, WebSocket, chat, ...), each with its defaults and its own small builder, validated when built.
 * {@code Setting} is the table that ties each command-line key to one record component, and
 * {@link io.switchboard.gateway.config.ConfigLoader} is the only code that reads the environment, a config file or the
 * command line; nothing here depends on the rest of the gateway.
 */
package io.switchboard.gateway.config;
