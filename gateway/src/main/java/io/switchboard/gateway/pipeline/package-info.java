/**
 * The per-connection pipeline of the WebSocket port: {@link io.switchboard.gateway.pipeline.GatewayChannelInitializer}
 * assembles Netty's HTTP and WebSocket handlers with small Switchboard handlers, one concern each, in the order
 * {@code HandlerNames} documents (accept limit, pages, operator endpoints, handshake guard, session, dispatch, idle,
 * close status, exceptions). Everything HTTP is decided before the upgrade; after it, messages go to {@code chat}.
 * It may use {@code chat}, {@code session}, {@code metrics}, {@code config}, {@code auth}, {@code http} and the
 * protocol module, never {@code cluster}, {@code api}, {@code webhook} or {@code ops} (those arrive as interfaces
 * and suppliers from the composition root).
 */
package io.switchboard.gateway.pipeline;
