/**
 * Cluster mode ({@code cluster-mode=redis}, see {@code docs/CLUSTER.md}): several gateways behind a load balancer
 * sharing one Redis. {@link io.switchboard.gateway.cluster.RedisMatchService} keeps the agent pool and the pairings in
 * Redis and matches atomically with a Lua script; {@link io.switchboard.gateway.cluster.ClusterRouter} keeps the
 * presence directory, routes to the node holding the recipient over Redis pub/sub and holds messages for offline
 * users in Redis; {@link io.switchboard.gateway.cluster.ClusterNode} heartbeats and releases the users of dead nodes.
 * Every Redis call is asynchronous; nothing here blocks an event loop.
 */
package io.switchboard.gateway.cluster;
