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

    /** ZSET agentId → load: the agents that are online and available (not away); those below capacity are matched. */
    String pool() {
        return prefix + "pool";
    }

    /** SET of the online agents whose status is {@code away} ({@code PROTOCOL.md} §6): out of the pool. */
    String away() {
        return prefix + "away";
    }

    /**
     * ZSET userId → ticket: the waiting queue, head first (tail tickets count up from 1, users sent back to the head
     * get tickets counting down from -1).
     */
    String queue() {
        return prefix + "queue";
    }

    /** HASH userId → {@code sinceMillis|toldPosition}: when each waiting user started waiting, where it was told. */
    String queueWaits() {
        return prefix + "queue:waits";
    }

    /**
     * HASH {@code tail}, {@code head} (tickets), {@code ver} (the last position notice), {@code pair} (a counter),
     * {@code stalled} (the head the last expiry saw waiting while an agent was free).
     */
    String queueState() {
        return prefix + "queue:state";
    }

    /**
     * ZSET userId → pairing counter: the users who asked to wait ({@code match} with {@code queue}) in their current
     * conversation, in the order they were paired with their agent; sent back to the head if that agent is released.
     */
    String queueing() {
        return prefix + "queue:asked";
    }

    /** The pub/sub channel every node subscribes for the queue's position notices, published by the scripts. */
    String queueChannel() {
        return prefix + "queue:positions";
    }

    /** HASH key → envelope JSON: the newest live-only notice per key for {@code userId} while it is offline. */
    String kept(String userId) {
        return prefix + "kept:" + userId;
    }

    /** LIST of envelope JSON: the {@code normal} messages of {@code userId}'s conversation, oldest first. */
    String history(String userId) {
        return prefix + "history:" + userId;
    }
}
