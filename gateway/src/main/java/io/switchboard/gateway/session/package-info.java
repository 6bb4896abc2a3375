/**
 * Live connections: {@link io.switchboard.gateway.session.Session} (one upgraded WebSocket connection of one
 * userId, with its close status and slow-consumer flag), the {@link io.switchboard.gateway.session.SessionRegistry}
 * that finds them by userId (sharded, one live session per userId), {@code ConnectionIdentity} and {@code Role}. It
 * depends on Netty's {@code Channel} and nothing of the gateway; {@code chat}, {@code pipeline}, {@code cluster},
 * {@code api} and the others use it. Public for those packages, not a supported API.
 */
package io.switchboard.gateway.session;
