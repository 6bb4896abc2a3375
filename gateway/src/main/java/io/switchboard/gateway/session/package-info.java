/**
 * Live connections: {@link io.switchboard.gateway.session.Session} (one WebSocket connection of one userId) and the
 * {@link io.switchboard.gateway.session.SessionRegistry} that finds them by userId. Types here are public because the
 * pipeline and chat packages use them; they are internal to the gateway, not a supported API.
 */
package io.switchboard.gateway.session;
