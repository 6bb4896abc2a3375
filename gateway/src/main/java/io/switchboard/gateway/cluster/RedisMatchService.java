package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.switchboard.gateway.chat.MatchResult;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.QueueListener;
import io.switchboard.gateway.chat.Transfer;
import io.switchboard.gateway.chat.Waiting;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.MessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-wide {@link MatchService}: the agent pool ({@code ZSET agent → load} of online agents) and the pairings
 * ({@code HASH user → agent}, {@code SET} of users per agent) live in Redis, and every compound change is one Lua
 * script, so it is atomic across nodes: a match picks the least-loaded online agent whose load is below capacity and
 * increments it in the same step, so no agent ever holds more than its capacity, whichever nodes race.
 *
 * <p>The pairing check in front of every {@code normal} is answered from a local cache when it can: a pairing this
 * node made, learned from Redis, or was told about by a {@code match} notice it delivered. Entries are dropped when
 * this node ends the pairing or delivers the {@code leave} notice, and whenever a session of either side attaches or
 * detaches here, so a cached "yes" never outlives what this node has seen. A cache miss asks Redis ({@code HGET}).
 * This keeps same-node pairs chatting while Redis is unreachable. All capacity must be the same on every node.
 *
 * <p>Thread-safe and non-blocking.
 */
public final class RedisMatchService implements MatchService {

    private static final Logger logger = LoggerFactory.getLogger(RedisMatchService.class);
    private static final CompletionStage<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);

    /**
     * KEYS pairs, pool; ARGV user, capacity, prefix. Returns {agent or '', 1 if new}. Never the user itself (an id
     * still in the pool from an agent connection).
     */
    private static final LuaScript MATCH = new LuaScript("""
            local cur = redis.call('HGET', KEYS[1], ARGV[1])
            if cur then return {cur, 0} end
            local c = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 2)
            local a = c[1]
            if a == ARGV[1] then a = c[2] end
            if not a then return {'', 0} end
            redis.call('ZINCRBY', KEYS[2], 1, a)
            redis.call('HSET', KEYS[1], ARGV[1], a)
            redis.call('SADD', ARGV[3] .. 'agent:' .. a .. ':users', ARGV[1])
            return {a, 1}
            """, ScriptOutputType.MULTI);

    /** KEYS pool, agent users; ARGV agent. The load of a returning agent is the number of users it kept. */
    private static final LuaScript AGENT_ONLINE = new LuaScript("""
            redis.call('ZADD', KEYS[1], redis.call('SCARD', KEYS[2]), ARGV[1])
            return 1
            """, ScriptOutputType.INTEGER);

    /** KEYS pool, presence of the agent; ARGV agent. Only if it is not connected anywhere any more. */
    private static final LuaScript AGENT_OFFLINE = new LuaScript("""
            if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
            return redis.call('ZREM', KEYS[1], ARGV[1])
            """, ScriptOutputType.INTEGER);

    /** KEYS pairs, agent users, pool; ARGV user, agent. */
    private static final LuaScript UNPAIR = new LuaScript("""
            if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
            redis.call('HDEL', KEYS[1], ARGV[1])
            redis.call('SREM', KEYS[2], ARGV[1])
            if redis.call('ZSCORE', KEYS[3], ARGV[2]) then redis.call('ZINCRBY', KEYS[3], -1, ARGV[2]) end
            return 1
            """, ScriptOutputType.INTEGER);

    /** KEYS pairs, agent users, pool; ARGV agent. Returns the users released. */
    private static final LuaScript RELEASE_AGENT = new LuaScript("""
            local out = {}
            for _, u in ipairs(redis.call('SMEMBERS', KEYS[2])) do
              if redis.call('HGET', KEYS[1], u) == ARGV[1] then
                redis.call('HDEL', KEYS[1], u)
                out[#out + 1] = u
              end
            end
            redis.call('DEL', KEYS[2])
            redis.call('ZREM', KEYS[3], ARGV[1])
            return out
            """, ScriptOutputType.MULTI);

    private final Supplier<RedisAsyncCommands<String, String>> redis;
    private final RedisKeys keys;
    private final String capacity;
    /** user → agent, for pairings with a side on this node; see the class comment. */
    private final ConcurrentHashMap<String, String> cache = new ConcurrentHashMap<>();
    private volatile QueueListener listener = QueueListener.NONE;

    RedisMatchService(Supplier<RedisAsyncCommands<String, String>> redis, RedisKeys keys, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        }
        this.redis = redis;
        this.keys = keys;
        this.capacity = Integer.toString(capacity);
    }

    @Override
    public CompletionStage<MatchResult> match(String userId) {
        return MATCH.<List<Object>>run(redis.get(), new String[] {keys.pairs(), keys.pool()}, userId, capacity,
                                       keys.prefix)
                    .thenApply(reply -> {
                        final String agent = (String) reply.get(0);
                        if (agent.isEmpty()) {
                            return MatchResult.NO_AGENT;
                        }
                        cache.put(userId, agent);
                        return new MatchResult(agent, ((Long) reply.get(1)) == 1L);
                    });
    }

    @Override
    public CompletionStage<MatchResult> match(String userId, boolean queue) {
        // The cluster-wide queue is not there yet: a user no agent can take gets NO_AGENT, as in version 1.
        return match(userId);
    }

    @Override
    public CompletionStage<Void> serveQueue() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Long> leaveQueue(String userId) {
        return CompletableFuture.completedFuture(-1L);
    }

    @Override
    public CompletionStage<Integer> queuePosition(String userId) {
        return CompletableFuture.completedFuture(0);
    }

    @Override
    public CompletionStage<Void> expireQueue() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<List<Waiting>> waiting() {
        return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public void setQueueListener(QueueListener listener) {
        this.listener = listener;
    }

    @Override
    public CompletionStage<Boolean> setAvailable(String agentId, boolean available) {
        return CompletableFuture.completedFuture(false);
    }

    @Override
    public CompletionStage<String> agentStatus(String agentId) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Transfer> transfer(String userId, String fromAgentId, String toAgentId) {
        return CompletableFuture.completedFuture(Transfer.refused(Failure.UNAVAILABLE));
    }

    @Override
    public CompletionStage<Boolean> isPaired(String userId, String agentId) {
        if (agentId.equals(cache.get(userId))) {
            return TRUE;
        }
        return LuaScript.<String>call(() -> redis.get().hget(keys.pairs(), userId)).thenApply(agent -> {
            final boolean paired = agentId.equals(agent);
            if (paired) {
                cache.put(userId, agentId);
            }
            return paired;
        });
    }

    @Override
    public CompletionStage<String> agentOf(String userId) {
        return LuaScript.call(() -> redis.get().hget(keys.pairs(), userId));
    }

    @Override
    public CompletionStage<List<String>> usersOf(String agentId) {
        return LuaScript.<java.util.Set<String>>call(() -> redis.get().smembers(keys.agentUsers(agentId)))
                         .thenApply(ArrayList::new);
    }

    @Override
    public CompletionStage<Boolean> unpair(String userId, String agentId) {
        return UNPAIR.<Long>run(redis.get(), new String[] {keys.pairs(), keys.agentUsers(agentId), keys.pool()},
                                userId, agentId)
                     .thenApply(n -> {
                         cache.remove(userId, agentId);
                         return n == 1L;
                     });
    }

    @Override
    public void agentOnline(String agentId) {
        AGENT_ONLINE.run(redis.get(), new String[] {keys.pool(), keys.agentUsers(agentId)}, agentId)
                    .whenComplete((n, error) -> logIfFailed("agentOnline", agentId, error));
    }

    @Override
    public void agentOffline(String agentId) {
        AGENT_OFFLINE.run(redis.get(), new String[] {keys.pool(), keys.presence(agentId)}, agentId)
                     .whenComplete((n, error) -> logIfFailed("agentOffline", agentId, error));
    }

    @Override
    public CompletionStage<List<String>> releaseAgent(String agentId) {
        return RELEASE_AGENT.<List<Object>>run(redis.get(),
                                               new String[] {keys.pairs(), keys.agentUsers(agentId), keys.pool()},
                                               agentId)
                            .thenApply(reply -> {
                                final List<String> users = new ArrayList<>(reply.size());
                                for (Object u : reply) {
                                    users.add((String) u);
                                    cache.remove((String) u, agentId);
                                }
                                return users;
                            });
    }

    @Override
    public int capacity() {
        return Integer.parseInt(capacity);
    }

    @Override
    public int pairings() {
        return cache.size();
    }

    @Override
    public int availableAgents() {
        return -1;
    }

    /** The load of {@code agentId} in the pool, or {@code null} when it is not in it (for tests and stats). */
    CompletionStage<Double> load(String agentId) {
        return LuaScript.call(() -> redis.get().zscore(keys.pool(), agentId));
    }

    /**
     * Keeps the cache in step with a notice delivered on this node to {@code recipient}: a {@code match} names the
     * agent's new user, a {@code leave} ends a pairing.
     */
    void observe(String recipient, Envelope envelope) {
        final String type = envelope.type();
        if (MessageType.MATCH.wireName().equals(type) && envelope.msg() != null) {
            cache.put(envelope.msg(), recipient);
        } else if (MessageType.LEAVE.wireName().equals(type) && envelope.msg() != null) {
            cache.remove(recipient, envelope.msg());
            cache.remove(envelope.msg(), recipient);
        }
    }

    /** A session of {@code userId} attached or detached here: forget what the cache knew of its pairings. */
    void forget(String userId, boolean agent) {
        if (agent) {
            cache.values().removeIf(userId::equals); // O(cached pairings); agents come and go rarely
        } else {
            cache.remove(userId);
        }
    }

    private static void logIfFailed(String what, String agentId, Throwable error) {
        if (error != null) {
            logger.warn("{} agentId={} failed: {}", what, agentId, error.toString());
        }
    }
}
