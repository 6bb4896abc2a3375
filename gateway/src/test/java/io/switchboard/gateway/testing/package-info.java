/**
 * Shared fixtures for real-socket tests of the gateway. {@link io.switchboard.gateway.testing.GatewayExtension} (a
 * gateway per test plus the class's clients) and {@link io.switchboard.gateway.testing.ClusterExtension} (N nodes plus
 * Redis, found by the one rule in {@link io.switchboard.gateway.testing.TestRedis}) own every lifecycle;
 * {@link io.switchboard.gateway.testing.WsTestClient} is the one WebSocket client,
 * {@link io.switchboard.gateway.testing.RawSocket} sends hostile bytes,
 * {@link io.switchboard.gateway.testing.HttpTestClient} reads {@code /api/v1} and {@code /metrics}, and
 * {@link io.switchboard.gateway.testing.Conversations} holds the shared steps. Tests may touch server internals only
 * through {@link io.switchboard.gateway.GatewayInternals}. {@link io.switchboard.gateway.testing.RedisClusterProcess}
 * and {@link io.switchboard.gateway.testing.RedisSentinelProcess} run private Redis Cluster and Sentinel setups that
 * tests may fail over; {@link io.switchboard.gateway.testing.RedisTopology#underTest()} says which topology the cluster
 * ITs run against.
 */
package io.switchboard.gateway.testing;
