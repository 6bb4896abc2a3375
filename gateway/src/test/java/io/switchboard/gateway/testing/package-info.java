/**
 * Shared test infrastructure for real-socket tests of the gateway: {@link io.switchboard.gateway.testing.TestGateway}
 * (a server on 127.0.0.1:0), {@link io.switchboard.gateway.testing.WsTestClient} (a Netty WebSocket client on the
 * protocol module's codec, created from a per-class {@link io.switchboard.gateway.testing.WsTestClients}) and
 * {@link io.switchboard.gateway.testing.RawSocket} (hostile bytes).
 */
package io.switchboard.gateway.testing;
