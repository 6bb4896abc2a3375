package io.switchboard.gateway.cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The names of every Redis key and channel of one cluster (key layout {@value #LAYOUT}), all under one prefix so that
 * clusters (and parallel test runs) can share a Redis.
 *
 * <p>Every key carries a Redis Cluster hash tag that names its family, so that each script touches one slot:
 * <ul>
 *   <li>{@code <prefix>{u<n>:<userId>}:<kind>}: everything about one userId (presence, owner, hold, seq, ack log,
 *       resend records, kept notices, history). {@code n} is the userId's length, so no two (userId, rest) pairs
 *       share a name even though a userId may contain {@code :} or {@code }}; a {@code }} inside a userId ends the
 *       tag early, which still puts all of that userId's keys in one slot.</li>
 *   <li>{@code <prefix>{m}:<kind>}: the matching state (pairings, agent pool and loads, away set, waiting queue,
 *       online agents), the node set and the webhook outboxes. Matching needs atomic updates across agents and users,
 *       so it lives in one slot (docs/CLUSTER.md, "Key layout").</li>
 *   <li>{@code <prefix>{n<n>:<nodeId>}:<kind>}: one node's channel and the users whose fate it owns ({@code n} in
 *       UTF-8 bytes).</li>
 * </ul>
 * The scripts never build a key of another family; the few names they build themselves ({@code agent:<id>:users}
 * in the matching family, node channels for classic {@code PUBLISH}, which is not bound to a slot) follow these
 * formats.
 */
final class RedisKeys {

    /** The version of this layout, kept in {@link #layout()}; layout 1 had no hash tags. */
    static final String LAYOUT = "2";

    final String prefix;
    private final String match;

    RedisKeys(String prefix) {
        if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
            throw new IllegalArgumentException("a key prefix must not contain '{' or '}': " + prefix);
        }
        this.prefix = prefix;
        this.match = prefix + "{m}:";
    }

    private String user(String userId, String kind) {
        return prefix + "{u" + userId.length() + ':' + userId + "}:" + kind;
    }

    private String node(String nodeId, String kind) {
        // The length in UTF-8 bytes: the Lua scripts name node channels too, and Lua's # counts bytes.
        return prefix + "{n" + nodeId.getBytes(StandardCharsets.UTF_8).length + ':' + nodeId + "}:" + kind;
    }

    /** STRING {@code node|connection|role}: where {@code userId} is connected. */
    String presence(String userId) {
        return user(userId, "presence");
    }

    /**
     * STRING nodeId: the node that owns {@code userId}'s fate (it is connected there, or in its grace period there).
     * The authority the reaper checks: a node's {@link #nodeUsers} set is only an index of it, updated in a separate
     * command.
     */
    String owner(String userId) {
        return user(userId, "owner");
    }

    /** LIST of {@code deadlineMillis|envelopeJson}: messages held for {@code userId}, oldest first. */
    String hold(String userId) {
        return user(userId, "hold");
    }

    /**
     * HASH {@code last} → the last seq given to {@code userId}'s deliveries, {@code acked} → the highest it
     * acknowledged ({@code PROTOCOL.md} §5).
     */
    String seq(String userId) {
        return user(userId, "seq");
    }

    /** LIST of {@code seq|deadlineMillis|notify|envelopeJson}: unacknowledged deliveries to {@code userId}. */
    String ackLog(String userId) {
        return user(userId, "acklog");
    }

    /** STRING: the receipt of {@code userId}'s send of {@code msgId} ({@code P} while in flight), for resends. */
    String resend(String userId, String msgId) {
        return user(userId, "resend:" + msgId);
    }

    /** HASH key → envelope JSON: the newest live-only notice per key for {@code userId} while it is offline. */
    String kept(String userId) {
        return user(userId, "kept");
    }

    /** LIST of envelope JSON: the {@code normal} messages of {@code userId}'s conversation, oldest first. */
    String history(String userId) {
        return user(userId, "history");
    }

    /** SET of the userIds whose fate {@code nodeId} may own: an index of {@link #owner}, checked against it. */
    String nodeUsers(String nodeId) {
        return node(nodeId, "users");
    }

    /** The (shard) channel of {@code nodeId}. */
    String channel(String nodeId) {
        return node(nodeId, "ch");
    }

    /**
     * HASH {@code url|seq} → {@code deliveryId|event|firstAttemptMillis|body}: the webhook events {@code nodeId} has
     * queued and not yet delivered or given up (its webhook outbox). In the matching family, with the node set, so
     * that a take-over moves a dead node's entries in one script. The scripts split the field at its last {@code |}
     * (a seq has none) and the value at its first three (the body, JSON, comes last).
     */
    String outbox(String nodeId) {
        return match + "outbox:" + nodeId;
    }

    /** ZSET nodeId → the Redis time (ms) after which the node counts as dead. */
    String nodes() {
        return match + "nodes";
    }

    /** STRING: the key layout of the keys under this prefix ({@value #LAYOUT}). */
    String layout() {
        return match + "layout";
    }

    /** HASH userId → agentId: every pairing. */
    String pairs() {
        return match + "pairs";
    }

    /** SET of the users paired with {@code agentId}. */
    String agentUsers(String agentId) {
        return match + "agent:" + agentId + ":users";
    }

    /** The prefix the matching scripts append {@code <agentId>:users} to, to name {@link #agentUsers}. */
    String agentUsersPrefix() {
        return match + "agent:";
    }

    /** ZSET agentId → load: the agents that are online and available (not away); those below capacity are matched. */
    String pool() {
        return match + "pool";
    }

    /** SET of the online agents whose status is {@code away} ({@code PROTOCOL.md} §6): out of the pool. */
    String away() {
        return match + "away";
    }

    /**
     * HASH agentId → the presence value ({@code node|connection|role}) of the connection that put it in the pool:
     * an agent leaves the pool only when the connection that went offline is the one that joined it.
     */
    String online() {
        return match + "online";
    }

    /**
     * ZSET userId → ticket: the waiting queue, head first (tail tickets count up from 1, users sent back to the head
     * get tickets counting down from -1).
     */
    String queue() {
        return match + "queue";
    }

    /** HASH userId → {@code sinceMillis|toldPosition}: when each waiting user started waiting, where it was told. */
    String queueWaits() {
        return match + "queue:waits";
    }

    /**
     * HASH {@code tail}, {@code head} (tickets), {@code ver} (the last position notice), {@code pair} (a counter),
     * {@code stalled} (the head the last expiry saw waiting while an agent was free).
     */
    String queueState() {
        return match + "queue:state";
    }

    /**
     * ZSET userId → pairing counter: the users who asked to wait ({@code match} with {@code queue}) in their current
     * conversation, in the order they were paired with their agent; sent back to the head if that agent is released.
     */
    String queueing() {
        return match + "queue:asked";
    }

    /**
     * The (shard) channel every node subscribes for the queue's position notices, published by the matching scripts
     * (in the matching family's slot).
     */
    String queueChannel() {
        return match + "queue:positions";
    }

    /** Keys of key layout 1 (no hash tags), any of which means nodes of an older version used this prefix. */
    List<String> layoutOneKeys() {
        return List.of(prefix + "nodes", prefix + "pairs", prefix + "pool", prefix + "queue:state");
    }
}
