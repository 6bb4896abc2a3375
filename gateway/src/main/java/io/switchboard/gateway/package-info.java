/**
 * The Switchboard gateway and its composition root. {@link io.switchboard.gateway.SwitchboardMain} is the command
 * line, {@link io.switchboard.gateway.GatewayServer} builds and wires every component, binds both listeners and
 * drains on close, and {@code GatewayResources} owns the event-loop groups. The supported surface is
 * {@code SwitchboardMain}, {@code GatewayServer} and {@link io.switchboard.gateway.config.GatewayConfig}; every
 * sub-package is internal. This package may use all of them, and none of them may use it
 * ({@code docs/ARCHITECTURE.md}).
 */
package io.switchboard.gateway;
