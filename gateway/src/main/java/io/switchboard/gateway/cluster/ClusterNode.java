package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.gateway.session.Role;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership in the cluster: a heartbeat every {@code node-heartbeat} and the reaper of dead nodes.
 *
 * <p>Liveness is a {@code ZSET node → deadline} in Redis time ({@code TIME}, so node clocks do not matter): each beat
 * sets this node's deadline to now + {@code node-ttl} and, in the same script, claims nodes whose deadline passed by
 * removing them from the set, so exactly one node reaps each dead node. The reaper then walks the dead node's user set
 * ({@code SPOP}, in batches): a user whose presence still names the dead node loses it, and with it every pairing
 * (through the {@code release} function given at construction, which tells the peers with {@code leave}); a user that
 * reconnected elsewhere is left alone. A crashed node's users are therefore released at most
 * {@code node-ttl + node-heartbeat} after its last beat. The claiming node also takes over the dead node's webhook
 * outbox (the {@code takeOver} function, {@link RedisWebhookOutbox#takeOver}). (A sorted set rather than keys with
 * a TTL and keyspace notifications: expiry events are fire-and-forget and arrive late, and one missed event would
 * strand a node's users forever; the sorted set is polled.)
 *
 * <p>A beat that finds this node missing (it was taken for dead, or Redis lost its data) re-announces every local
 * session; so does the first beat after a presence update failed. On start the node reaps its own previous
 * incarnation (same node id, e.g. a restarted container). On a graceful stop it leaves its deadline at now + the
 * reconnect grace, so its paired users that do not come back elsewhere are released after the grace period, as on
 * one node; its webhook outbox waits as long for the node to restart before another node takes it over.
 *
 * <p>The timer runs on one gateway event loop; it only issues asynchronous commands.
 */
final class ClusterNode implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ClusterNode.class);
    private static final int REAP_BATCH = 256;

    /**
     * KEYS nodes; ARGV node, deadline offset ms, max claims. Returns {1 if this node was missing, claimed...}. A node
     * whose own deadline had passed too claims nobody: Redis (or the way to it) was down, not the other nodes (a
     * failover longer than {@code node-ttl}), so every overdue node gets a {@code node-ttl} to beat again instead.
     */
    private static final LuaScript BEAT = new LuaScript("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
            local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            local out = {added}
            local overdue = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
            if mine and tonumber(mine) < now then
              for _, d in ipairs(overdue) do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), d) end
              return out
            end
            for _, d in ipairs(overdue) do
              if redis.call('ZREM', KEYS[1], d) == 1 then out[#out + 1] = d end
            end
            return out
            """, ScriptOutputType.MULTI);

    /**
     * KEYS owner, presence; ARGV dead node. The user's half of reaping a dead node's user (in the user's slot): if
     * the dead node still owns it, it owns it no more and a presence of the dead node goes. Returns '-' if the user is
     * not the dead node's to release (a newer owner, or a stale index entry), else the role its presence named ('' if
     * it had none: its grace period died with the node).
     */
    private static final LuaScript REAP_USER = new LuaScript("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return '-' end
            redis.call('DEL', KEYS[1])
            local p = redis.call('GET', KEYS[2])
            if not p then return '' end
            if string.sub(p, 1, #ARGV[1] + 1) ~= ARGV[1] .. '|' then return '-' end
            redis.call('DEL', KEYS[2])
            return string.match(p, '|([^|]*)$')
            """, ScriptOutputType.STATUS);

    /** KEYS nodes; ARGV node, deadline offset ms (from Redis time). */
    private static final LuaScript LEAVE = new LuaScript("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            return redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            """, ScriptOutputType.INTEGER);

    private final String nodeId;
    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final RedisPresence presence;
    private final RedisMatchService matches;
    /** What this node publishes to its own channel each beat to check its subscription ({@link NodeBus#ping}). */
    private final String ping;
    private final BiFunction<String, Role, CompletionStage<Void>> release;
    private final Function<String, CompletionStage<Void>> takeOver;
    private final EventExecutor timer;
    private final long heartbeatMillis;
    private final long ttlMillis;
    private final long graceMillis;
    private final AtomicBoolean beating = new AtomicBoolean();
    private volatile ScheduledFuture<?> task;
    private volatile boolean wasMissing;
    private volatile boolean joined;

    ClusterNode(String nodeId, ClusterRedis redis, RedisKeys keys, RedisPresence presence,
                RedisMatchService matches, BiFunction<String, Role, CompletionStage<Void>> release,
                Function<String, CompletionStage<Void>> takeOver, EventExecutor timer, long heartbeatMillis,
                long ttlMillis, long graceMillis, String ping) {
        this.nodeId = nodeId;
        this.redis = redis;
        this.keys = keys;
        this.presence = presence;
        this.matches = matches;
        this.ping = ping;
        this.release = release;
        this.takeOver = takeOver;
        this.timer = timer;
        this.heartbeatMillis = heartbeatMillis;
        this.ttlMillis = ttlMillis;
        this.graceMillis = graceMillis;
    }

    /**
     * Reaps this node id's previous incarnation, then beats every heartbeat. Blocks the calling thread (never an event
     * loop) until the reap is done: it must finish before this node accepts connections, or it would release the
     * sessions of this incarnation too.
     */
    void start() {
        try {
            reap(nodeId).toCompletableFuture().get(ClusterRedis.COMMAND_TIMEOUT.toMillis() * 5, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while joining the cluster", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot release the users of this node's previous run: " + e, e);
        }
        task = timer.scheduleAtFixedRate(this::beat, 0, heartbeatMillis, TimeUnit.MILLISECONDS);
    }

    /** One heartbeat; skipped if the previous one has not answered yet. Package-private for tests. */
    void beat() {
        if (!beating.compareAndSet(false, true)) {
            return;
        }
        BEAT.<List<Object>>run(redis.async(), new String[] {keys.nodes()}, nodeId, Long.toString(ttlMillis), "4")
            .whenComplete((reply, error) -> {
                beating.set(false);
                if (error != null) {
                    logger.debug("heartbeat failed: {}", error.toString());
                    wasMissing = true; // Redis may come back empty: re-announce on the first beat that works
                    return;
                }
                redis.checkSubscription(ping);
                // The first beat adds this node; any later one that has to was taken for dead, or Redis lost it.
                final boolean missing = ((Long) reply.get(0)) == 1L && joined;
                joined = true;
                final int announced = presence.resyncIfNeeded(missing || wasMissing);
                if (announced > 0) {
                    logger.info("Node {} re-announced its {} sessions to Redis", nodeId, announced);
                }
                wasMissing = false;
                for (int i = 1; i < reply.size(); i++) {
                    final String dead = (String) reply.get(i);
                    logger.info("Node {} missed its heartbeats: releasing its users", dead);
                    reap(dead);
                    takeOver.apply(dead);
                }
            });
    }

    /**
     * Releases the users of {@code deadNode}, a batch at a time: pops a batch from its index, and for each user the
     * dead node still owns, clears its presence (its slot), finds its role and takes a dead agent out of the pool
     * (the matching slot), then releases it (the chat core).
     */
    private CompletionStage<Void> reap(String deadNode) {
        return LuaScript.<List<String>>call(() -> redis.async().spop(keys.nodeUsers(deadNode), REAP_BATCH)
                                                      .thenApply(List::copyOf))
                   .thenCompose(users -> {
                       if (users.isEmpty()) {
                           return CompletableFuture.<Void>completedFuture(null);
                       }
                       CompletionStage<Void> all = CompletableFuture.completedFuture(null);
                       for (String user : users) {
                           all = all.thenCombine(reapUser(deadNode, user), (a, b) -> null);
                       }
                       return all.thenCompose(v -> reap(deadNode));
                   })
                   .whenComplete((v, error) -> {
                       if (error != null) {
                           logger.warn("Releasing the users of node {} failed: {}", deadNode, error.toString());
                       }
                   });
    }

    private CompletionStage<Void> reapUser(String deadNode, String user) {
        return REAP_USER.<String>run(redis.async(), new String[] {keys.owner(user), keys.presence(user)}, deadNode)
                        .thenCompose(role -> "-".equals(role) ? CompletableFuture.<Role>completedFuture(null)
                                                              : matches.reap(user, role, deadNode))
                        .thenCompose(role -> role == null ? CompletableFuture.<Void>completedFuture(null)
                                                          : release.apply(user, role));
    }

    /**
     * Stops beating and leaves the deadline at now + the reconnect grace (at least {@code node-ttl}), so that the
     * other nodes release this node's paired users who do not reconnect. Waits (bounded) for Redis to take it; never
     * called on an event loop.
     */
    @Override
    public void close() {
        final ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
        try {
            LEAVE.run(redis.async(), new String[] {keys.nodes()}, nodeId,
                      Long.toString(Math.max(graceMillis, ttlMillis)))
                 .toCompletableFuture().get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            logger.debug("Node {} could not record its leave: {}", nodeId, e.toString());
        }
    }

    /** Stops beating without telling anyone, as a crash would (tests). */
    void stopBeating() {
        final ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
    }
}
