package io.switchboard.gateway.cluster;

/**
 * The names of every Redis key and channel of one cluster, all under one prefix so that clusters (and parallel test
 * runs) can share a Redis. The Lua scripts build a few of these names themselves from the prefix; the formats below
 * are the contract between the two.
 */
final class RedisKeys {

    final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    /** STRING {@code node|connection|role}: where {@code userId} is connected. */
    String presence(String userId) {
        return prefix + "presence:" + userId;
    }

    /** LIST of {@code deadlineMillis|envelopeJson}: messages held for {@code userId}, oldest first. */
    String hold(String userId) {
        return prefix + "hold:" + userId;
    }

    /**
     * HASH {@code last} → the last seq given to {@code userId}'s deliveries, {@code acked} → the highest it
     * acknowledged ({@code PROTOCOL.md} §5).
     */
    String seq(String userId) {
        return prefix + "seq:" + userId;
    }

    /** LIST of {@code seq|deadlineMillis|notify|envelopeJson}: unacknowledged deliveries to {@code userId}. */
    String ackLog(String userId) {
        return prefix + "acklog:" + userId;
    }

    /**
     * STRING: the receipt of {@code userId}'s send of {@code msgId} ({@code P} while in flight), for resends. The
     * userId's length comes first, so that no two (userId, msgId) pairs share a key.
     */
    String resend(String userId, String msgId) {
        return prefix + "resend:" + userId.length() + ':' + userId + ':' + msgId;
    }

    /** SET of the userIds whose fate {@code nodeId} owns (connected there, or in their grace period there). */
    String nodeUsers(String nodeId) {
        return prefix + "node:" + nodeId + ":users";
    }

    /**
     * HASH {@code url|seq} → {@code deliveryId|event|firstAttemptMillis|body}: the webhook events {@code nodeId} has
     * queued and not yet delivered or given up (its webhook outbox). The scripts split the field at its last
     * {@code |} (a seq has none) and the value at its first three (the body, JSON, comes last).
     */
    String outbox(String nodeId) {
        return prefix + "outbox:" + nodeId;
    }

    /** ZSET nodeId → the Redis time (ms) after which the node counts as dead. */
    String nodes() {
        return prefix + "nodes";
    }

    /** The pub/sub channel of {@code nodeId}. */
    String channel(String nodeId) {
        return prefix + "node:" + nodeId;
    }

    /** The prefix the scripts append {@code node:<id>} to, to name a node's channel. */
    String channelPrefix() {
        return prefix + "node:";
    }

    /** HASH userId → agentId: every pairing. */
    String pairs() {
        return prefix + "pairs";
    }

    /** SET of the users paired with {@code agentId}. */
    String agentUsers(String agentId) {
        return prefix + "agent:" + agentId + ":users";
    }

    /** ZSET agentId → load: the agents that are online and may be matched. */
    String pool() {
        return prefix + "pool";
    }
}
