/**
 * Webhooks to backends ({@code docs/WEBHOOKS.md}): chat events are put on a bounded queue per URL and POSTed, in
 * order, by Netty's own HTTP client over a small keep-alive pool, signed with HMAC-SHA256 and retried with
 * exponential backoff and full jitter within a retry window. Never on the path of a user's message, never blocking
 * an event loop.
 */
package io.switchboard.gateway.webhook;
