/**
 * The server-side HTTP API for backends ({@code docs/API.md}, {@code docs/openapi.yaml}): a listener of its own on
 * the gateway's event loops, with push to users or roles, user lookup, disconnect, stats, and the operational
 * endpoints {@code /metrics}, {@code /healthz} and {@code /readyz}.
 */
package io.switchboard.gateway.api;
