/**
 * Handshake authentication ({@code PROTOCOL.md} §1, {@code docs/AUTH.md}): the
 * {@link io.switchboard.gateway.auth.TokenVerifier} SPI that turns a bearer token into a verified identity or a typed
 * rejection (401, or 403 for another userId), its JWT implementation on nimbus-jose-jwt (HS256 secret, RS256/ES256
 * PEM key, or a JWKS file reloaded off the event loops when it changes), and the
 * {@link io.switchboard.gateway.auth.HandshakePolicy} the handshake guard applies. It may use {@code config} and
 * {@code session} ({@code Role}), never {@code chat} or {@code pipeline}.
 */
package io.switchboard.gateway.auth;
