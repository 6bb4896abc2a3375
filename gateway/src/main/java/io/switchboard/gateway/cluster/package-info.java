/**
 * Cluster mode ({@code cluster-mode=redis}, {@code docs/CLUSTER.md}): the Redis implementations of the chat core's
 * SPIs, one concern per class, built by {@link io.switchboard.gateway.cluster.GatewayCluster}:
 * {@link io.switchboard.gateway.cluster.RedisMatchService} (pool, pairings, the waiting queue, agent status and
 * transfer, atomic Lua), {@code RedisHistory} (conversation histories), {@code RedisPresence}
 * (who is connected where, hand-over of the held messages, remote 4001), {@code ClusterRouter} (the {@code ROUTE}
 * script, decorating {@code LocalDelivery}), {@code NodeBus} (the {@code D|A|K|N|Q} pub/sub messages and acks),
 * {@code RedisHold}, {@code ClusterNode} (heartbeat and reaper), {@code RedisWebhookOutbox} (the node's webhook
 * outbox, taken over when the node dies) and {@code ClusterRedis} (the Lettuce client). It may use {@code chat},
 * {@code session}, {@code metrics}, {@code config}, the {@code webhook.WebhookOutbox} SPI and the protocol module,
 * never {@code pipeline}, {@code api} or the rest of {@code webhook}; {@code chat} never uses it. Every Redis call is
 * asynchronous and every continuation that touches a connection hops to its event loop.
 */
package io.switchboard.gateway.cluster;
