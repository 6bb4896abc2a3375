/**
 * Webhooks to backends ({@code docs/WEBHOOKS.md}): {@link io.switchboard.gateway.webhook.WebhookDispatcher}
 * implements {@code chat.ChatEvents} and puts each event on a bounded queue per URL; {@code WebhookEndpoint} POSTs
 * them in order with Netty's HTTP client over a small keep-alive pool, signed with HMAC-SHA256 and retried with
 * exponential backoff and full jitter within a retry window. The queues are written through to a
 * {@link io.switchboard.gateway.webhook.WebhookOutbox} (the data file on one gateway, Redis on a cluster node) and
 * restored at start; a cluster node also queues the entries it takes over from a dead node. It may use
 * {@code chat} (the event SPI), {@code session}, {@code metrics}, {@code config} and the protocol module, never
 * {@code pipeline}, {@code cluster} or {@code api}. Never on the path of a user's message, never blocking an event
 * loop.
 */
package io.switchboard.gateway.webhook;
