/**
 * Handshake authentication ({@code PROTOCOL.md} §1): the {@link io.switchboard.gateway.auth.TokenVerifier} SPI that
 * turns a bearer token into a verified identity or a typed rejection, and its JWT implementation on nimbus-jose-jwt
 * (HS256 secret, RS256/ES256 PEM key, or a JWKS file reloaded off the event loops when it changes).
 */
package io.switchboard.gateway.auth;
