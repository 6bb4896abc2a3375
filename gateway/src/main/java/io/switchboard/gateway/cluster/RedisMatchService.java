package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.switchboard.gateway.chat.MatchResult;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.QueueListener;
import io.switchboard.gateway.chat.Transfer;
import io.switchboard.gateway.chat.Waiting;
import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.MessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-wide {@link MatchService}: the agent pool ({@code ZSET agent → load} of online, available agents), the
 * away agents, the pairings ({@code HASH user → agent}, {@code SET} of users per agent) and the waiting queue live in
 * Redis, and every compound change is one Lua script, so it is atomic across nodes: a match picks the least-loaded
 * available agent whose load is below capacity and increments it in the same step, so no agent ever holds more than
 * its capacity, and a freed agent and the head of the queue meet in one step, whichever nodes race (FIFO, no user
 * matched or dropped twice).
 *
 * <p>Every matching key ({@code pool}, {@code away}, {@code pairs}, {@code agent:*:users}, {@code queue*}) is one
 * family: a Redis Cluster port can put them all in one hash-tag slot ({@code {match}}), which the scripts need, as
 * they touch several and compute the per-agent keys themselves.
 *
 * <p><b>Queue positions.</b> The scripts that change the queue compare each waiting user's place with the one it was
 * last told and {@code PUBLISH} the changes, numbered by a per-queue version, on one channel every node subscribes
 * ({@link RedisKeys#queueChannel}): Redis runs scripts one at a time and delivers one channel's messages in that
 * order, so every node sees every change in queue order, and tells the users connected to it. A node drops a position
 * whose version is not newer than what it last told that user (the answer to its {@code match}, its match or its
 * expiry, which come back on the command connection), so no older position ever follows a newer one.
 *
 * <p>The pairing check in front of every {@code normal} is answered from a local cache when it can: a pairing this
 * node made, learned from Redis, or was told about by a {@code match} notice it delivered. Entries are dropped when
 * this node ends or transfers the pairing or delivers the {@code leave} notice, and whenever a session of either side
 * attaches or detaches here, so a cached "yes" never outlives what this node has seen. A cache miss asks Redis
 * ({@code HGET}). This keeps same-node pairs chatting while Redis is unreachable. Capacity, queue bound and queue
 * timeout must be the same on every node.
 *
 * <p>Thread-safe and non-blocking. The {@link QueueListener} is called on Lettuce threads: the command connection's
 * for what this node's scripts did (matches, expiries), the pub/sub connection's for positions.
 */
public final class RedisMatchService implements MatchService {

    private static final Logger logger = LoggerFactory.getLogger(RedisMatchService.class);
    private static final CompletionStage<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);

    /**
     * What the queue scripts share. KEYS pairs, pool, queue, waits, queue state, queueing, away; ARGV the prefix of the
     * agents' user sets, capacity, the publish command and the queue channel ({@code SPUBLISH <channel>} in a Redis
     * Cluster, where the channel is in this family's slot), then the script's own. {@code serve} matches the head of
     * the queue with the least-loaded agents below capacity while both exist, then {@code tell}s the positions that
     * changed.
     */
    private static final String QUEUE_LIB = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local function users(a) return ARGV[1] .. a .. ':users' end
            local function since(u)
              return tonumber(string.match(redis.call('HGET', KEYS[4], u), '^(%d+)'))
            end
            local function ver() return redis.call('HGET', KEYS[5], 'ver') or '0' end
            local function free(u)
              local c = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 2)
              local a = c[1]
              if a == u then a = c[2] end
              return a
            end
            local function pair(u, a)
              redis.call('ZINCRBY', KEYS[2], 1, a)
              redis.call('HSET', KEYS[1], u, a)
              redis.call('SADD', users(a), u)
              if redis.call('ZSCORE', KEYS[6], u) then
                redis.call('ZADD', KEYS[6], redis.call('HINCRBY', KEYS[5], 'pair', 1), u)
              end
            end
            local function tell()
              local changes = {}
              for i, u in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
                local s, told = string.match(redis.call('HGET', KEYS[4], u), '^(%d+)|(%d+)$')
                if tonumber(told) ~= i then
                  redis.call('HSET', KEYS[4], u, s .. '|' .. i)
                  changes[#changes + 1] = u .. ' ' .. i
                end
              end
              if #changes > 0 then
                local v = redis.call('HINCRBY', KEYS[5], 'ver', 1)
                local cmd, channel = string.match(ARGV[3], '^(%S+) (.*)$')
                redis.call(cmd, channel, 'Q|' .. v .. '|' .. table.concat(changes, ' '))
              end
            end
            local function serve()
              local out = {}
              while true do
                local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
                if not head then break end
                local a = free(head)
                if not a then break end
                local waited = math.max(0, now - since(head))
                redis.call('ZREM', KEYS[3], head)
                redis.call('HDEL', KEYS[4], head)
                pair(head, a)
                out[#out + 1] = head
                out[#out + 1] = a
                out[#out + 1] = tostring(waited)
              end
              tell()
              return out
            end
            """;

    /**
     * ARGV[4] user, ARGV[5] '1' to wait in the queue, ARGV[6] queue bound. Returns {agent or '', '1' if new,
     * position (0: not waiting, -1: queue full), version, served (user, agent, waited)...}.
     */
    private static final LuaScript MATCH = new LuaScript(QUEUE_LIB + """
            local u = ARGV[4]
            local cur = redis.call('HGET', KEYS[1], u)
            if cur then return {cur, '0', '0', ver(), {}} end
            if redis.call('HEXISTS', KEYS[4], u) == 1 then
              return {'', '0', tostring(redis.call('ZRANK', KEYS[3], u) + 1), ver(), {}}
            end
            local served = serve()
            local a = free(u)
            if not a then
              if ARGV[5] ~= '1' then return {'', '0', '0', ver(), served} end
              local n = redis.call('ZCARD', KEYS[3])
              if n >= tonumber(ARGV[6]) then return {'', '0', '-1', ver(), served} end
              redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[5], 'tail', 1), u)
              redis.call('HSET', KEYS[4], u, now .. '|' .. (n + 1))
              redis.call('ZADD', KEYS[6], 0, u)
              return {'', '1', tostring(n + 1), ver(), served}
            end
            if ARGV[5] == '1' then redis.call('ZADD', KEYS[6], 0, u) end
            pair(u, a)
            return {a, '1', '0', ver(), served}
            """, ScriptOutputType.MULTI);

    /** Returns {version, served (user, agent, waited)...}. */
    private static final LuaScript SERVE = new LuaScript(QUEUE_LIB + """
            local served = serve()
            return {ver(), served}
            """, ScriptOutputType.MULTI);

    /** ARGV[4] user. Returns {waited ms or '-1', version, served...}. */
    private static final LuaScript LEAVE_QUEUE = new LuaScript(QUEUE_LIB + """
            local u = ARGV[4]
            if redis.call('HEXISTS', KEYS[4], u) == 0 then return {'-1', ver(), {}} end
            local waited = math.max(0, now - since(u))
            redis.call('ZREM', KEYS[3], u)
            redis.call('HDEL', KEYS[4], u)
            redis.call('ZREM', KEYS[6], u)
            local served = serve()
            return {tostring(waited), ver(), served}
            """, ScriptOutputType.MULTI);

    /**
     * ARGV[4] the longest wait (ms). Removes every wait past it (each exactly once, whichever nodes run this) and
     * then serves the queue, as one gateway does. Also a safety net for a serve that failed (Redis unreachable) or
     * that a node of the previous version never runs: when the same head waits while an agent is free at two ticks in
     * a row, it serves. Not at the first tick: the serve of the change that freed the agent is on its way, and must
     * stay the one that matches, after that change's answer. Returns {version, served..., expired (user,
     * waited)..., waiting, available agents, away agents}.
     */
    private static final LuaScript EXPIRE = new LuaScript(QUEUE_LIB + """
            local expired = {}
            for _, u in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
              local waited = now - since(u)
              if waited >= tonumber(ARGV[4]) then
                redis.call('ZREM', KEYS[3], u)
                redis.call('HDEL', KEYS[4], u)
                redis.call('ZREM', KEYS[6], u)
                expired[#expired + 1] = u
                expired[#expired + 1] = tostring(waited)
              end
            end
            local served = {}
            local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
            if #expired > 0 or (head and free(head) and redis.call('HGET', KEYS[5], 'stalled') == head) then
              served = serve()
              redis.call('HDEL', KEYS[5], 'stalled')
            elseif head and free(head) then
              redis.call('HSET', KEYS[5], 'stalled', head)
            else
              redis.call('HDEL', KEYS[5], 'stalled')
            end
            return {ver(), served, expired, tostring(redis.call('ZCARD', KEYS[3])),
                    tostring(redis.call('ZCARD', KEYS[2])), tostring(redis.call('SCARD', KEYS[7]))}
            """, ScriptOutputType.MULTI);

    /** Returns the queue head first: user, sinceMillis, user, sinceMillis... */
    private static final LuaScript WAITING = new LuaScript("""
            local out = {}
            for _, u in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
              out[#out + 1] = u
              out[#out + 1] = string.match(redis.call('HGET', KEYS[4], u) or '0', '^(%d+)')
            end
            return out
            """, ScriptOutputType.MULTI);

    /**
     * ARGV[4] user, ARGV[5] from agent, ARGV[6] to agent or '' (the least-loaded other available one). Moves the
     * pairing and the load in one step. Returns {new agent or '', failure or ''}.
     */
    private static final LuaScript TRANSFER = new LuaScript(QUEUE_LIB + """
            local u, from, to = ARGV[4], ARGV[5], ARGV[6]
            if redis.call('HGET', KEYS[1], u) ~= from then return {'', 'NOT_PAIRED'} end
            if to == '' then
              to = nil
              for _, a in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 2)) do
                if a ~= from and not to then to = a end
              end
              if not to then return {'', 'NO_AGENT'} end
            else
              local load = to ~= from and redis.call('ZSCORE', KEYS[2], to)
              if not load then return {'', 'UNKNOWN_AGENT'} end
              if tonumber(load) >= tonumber(ARGV[2]) then return {'', 'NO_AGENT'} end
            end
            redis.call('SREM', users(from), u)
            if redis.call('ZSCORE', KEYS[2], from) then redis.call('ZINCRBY', KEYS[2], -1, from) end
            pair(u, to)
            return {to, ''}
            """, ScriptOutputType.MULTI);

    /**
     * ARGV[4] agent, ARGV[5] '1' available, '0' away. An away agent leaves the pool (keeping its users); a returning
     * one re-enters it with the load of the users it kept. Returns 0 if the agent is not online.
     */
    private static final LuaScript STATUS = new LuaScript("""
            local a = ARGV[4]
            local inPool = redis.call('ZSCORE', KEYS[2], a)
            local away = redis.call('SISMEMBER', KEYS[7], a) == 1
            if not inPool and not away then return 0 end
            if ARGV[5] == '1' then
              if away then
                redis.call('SREM', KEYS[7], a)
                redis.call('ZADD', KEYS[2], redis.call('SCARD', ARGV[1] .. a .. ':users'), a)
              end
            elseif inPool then
              redis.call('ZREM', KEYS[2], a)
              redis.call('SADD', KEYS[7], a)
            end
            return 1
            """, ScriptOutputType.INTEGER);

    /**
     * KEYS pool, agent users, away, online; ARGV agent, '1' to keep an away status (a re-announce after a Redis
     * outage, not a connect), the connection's presence value. The load of a returning agent is the number of users
     * it kept; available is the state on connect. The connection is recorded as the one that put it online.
     */
    private static final LuaScript AGENT_ONLINE = new LuaScript("""
            redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
            if ARGV[2] == '1' and redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 0 end
            redis.call('SREM', KEYS[3], ARGV[1])
            redis.call('ZADD', KEYS[1], redis.call('SCARD', KEYS[2]), ARGV[1])
            return 1
            """, ScriptOutputType.INTEGER);

    /**
     * KEYS pool, away, online; ARGV agent, the presence value of the connection that went offline. Only if that
     * connection is the one that put the agent online (a newer one, on any node, keeps it in the pool).
     */
    private static final LuaScript AGENT_OFFLINE = new LuaScript("""
            if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
            redis.call('HDEL', KEYS[3], ARGV[1])
            redis.call('SREM', KEYS[2], ARGV[1])
            return redis.call('ZREM', KEYS[1], ARGV[1])
            """, ScriptOutputType.INTEGER);

    /**
     * KEYS pairs, queue, agent users; ARGV user, '1' if an agent. Whether the user is paired or waiting, or the agent
     * has users: what keeps a disconnected userId owned by its node through the grace period.
     */
    private static final LuaScript PAIRED = new LuaScript("""
            if ARGV[2] == '1' then return redis.call('SCARD', KEYS[3]) > 0 and 1 or 0 end
            if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 1 end
            return 0
            """, ScriptOutputType.INTEGER);

    /**
     * KEYS pairs, queue, pool, away, online; ARGV the prefix of the agents' user sets, user, role from its presence
     * ('' if it had none), the dead node. The matching half of reaping a dead node's user: its role (from its
     * presence, else from its pairing), and an agent that the dead node put online leaves the pool. Returns the role,
     * or '' if there is nothing to release.
     */
    static final LuaScript REAP = new LuaScript("""
            local u, role = ARGV[2], ARGV[3]
            if role == '' then
              if redis.call('HEXISTS', KEYS[1], u) == 1 or redis.call('ZSCORE', KEYS[2], u) then role = 'user'
              elseif redis.call('EXISTS', ARGV[1] .. u .. ':users') == 1 then role = 'agent' end
            end
            if role == 'agent' then
              local o = redis.call('HGET', KEYS[5], u)
              if not o or string.sub(o, 1, #ARGV[4] + 1) == ARGV[4] .. '|' then
                redis.call('HDEL', KEYS[5], u)
                redis.call('ZREM', KEYS[3], u)
                redis.call('SREM', KEYS[4], u)
              end
            end
            return role
            """, ScriptOutputType.STATUS);

    /** KEYS pairs, agent users, pool, queueing; ARGV user, agent. */
    private static final LuaScript UNPAIR = new LuaScript("""
            if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
            redis.call('HDEL', KEYS[1], ARGV[1])
            redis.call('SREM', KEYS[2], ARGV[1])
            redis.call('ZREM', KEYS[4], ARGV[1])
            if redis.call('ZSCORE', KEYS[3], ARGV[2]) then redis.call('ZINCRBY', KEYS[3], -1, ARGV[2]) end
            return 1
            """, ScriptOutputType.INTEGER);

    /**
     * ARGV[4] agent. Ends its pairings; those of its users who asked to wait go back to the head of the queue, in
     * the order they were paired with it (their positions are told by the serve that follows). Returns the users
     * released.
     */
    private static final LuaScript RELEASE_AGENT = new LuaScript(QUEUE_LIB + """
            local a = ARGV[4]
            local out, back, order = {}, {}, {}
            for _, u in ipairs(redis.call('SMEMBERS', users(a))) do
              if redis.call('HGET', KEYS[1], u) == a then
                redis.call('HDEL', KEYS[1], u)
                out[#out + 1] = u
                local asked = redis.call('ZSCORE', KEYS[6], u)
                if asked and redis.call('HEXISTS', KEYS[4], u) == 0 then
                  back[#back + 1] = u
                  order[u] = tonumber(asked)
                end
              end
            end
            table.sort(back, function(x, y) return order[x] < order[y] end)
            for i = #back, 1, -1 do
              redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[5], 'head', -1), back[i])
              redis.call('HSET', KEYS[4], back[i], now .. '|0')
            end
            redis.call('DEL', users(a))
            redis.call('ZREM', KEYS[2], a)
            redis.call('SREM', KEYS[7], a)
            return out
            """, ScriptOutputType.MULTI);

    /**
     * The queue scripts, loaded when the node connects (see {@link LuaScript#load}): a first {@code EVALSHA} that
     * Redis does not know is retried behind what was pipelined after it, which could reorder two matches.
     */
    static final List<LuaScript> SCRIPTS = List.of(MATCH, SERVE, LEAVE_QUEUE, EXPIRE, WAITING, TRANSFER, STATUS,
                                                   AGENT_ONLINE, AGENT_OFFLINE, PAIRED, REAP, UNPAIR,
                                                   RELEASE_AGENT);

    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final String capacity;
    private final String queueMax;
    private final String queueTimeoutMillis;
    /** Whether a userId has a session on this node: only those are told positions here. */
    private final Predicate<String> local;
    /** userId → the presence value of its session here, or "" (what {@code online} records). */
    private final Function<String, String> onlineToken;
    /** agentId → the presence value its agentOnline recorded, for agents of this node (bounded by its sessions). */
    private final ConcurrentHashMap<String, String> onlineTokens = new ConcurrentHashMap<>();
    /** The KEYS of every queue script. */
    private final String[] queueKeys;
    /** user → agent, for pairings with a side on this node; see the class comment. */
    private final ConcurrentHashMap<String, String> cache = new ConcurrentHashMap<>();
    /**
     * user → the version of the newest queue state it was told, for users connected here; see the class comment.
     * Bounded by this node's sessions: an entry goes when the user's session attaches or detaches.
     */
    private final ConcurrentHashMap<String, Long> told = new ConcurrentHashMap<>();
    private volatile QueueListener listener = QueueListener.NONE;
    private volatile int waitingCount;
    private volatile Map<String, Integer> byStatus = Map.of("available", 0, "away", 0);

    /**
     * @param local       whether a userId has a session on this node
     * @param onlineToken the presence value of a userId's session on this node, or "" if it has none
     */
    RedisMatchService(ClusterRedis redis, RedisKeys keys, int capacity, int queueMax,
                      long queueTimeoutMillis, Predicate<String> local, Function<String, String> onlineToken) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        }
        this.redis = redis;
        this.keys = keys;
        this.capacity = Integer.toString(capacity);
        this.queueMax = Integer.toString(queueMax);
        this.queueTimeoutMillis = Long.toString(queueTimeoutMillis);
        this.local = local;
        this.onlineToken = onlineToken;
        this.queueKeys = new String[] {keys.pairs(), keys.pool(), keys.queue(), keys.queueWaits(), keys.queueState(),
                                       keys.queueing(), keys.away()};
    }

    private <T> CompletionStage<T> runQueue(LuaScript script, String... args) {
        final String[] argv = new String[3 + args.length];
        argv[0] = keys.agentUsersPrefix();
        argv[1] = capacity;
        argv[2] = redis.publishCommand() + ' ' + keys.queueChannel();
        System.arraycopy(args, 0, argv, 3, args.length);
        return redis.durable(keys.pairs(), c -> script.run(c, queueKeys, argv));
    }

    @Override
    public CompletionStage<MatchResult> match(String userId) {
        return match(userId, false);
    }

    @Override
    public CompletionStage<MatchResult> match(String userId, boolean queue) {
        return this.<List<Object>>runQueue(MATCH, userId, queue ? "1" : "0", queueMax).thenApply(reply -> {
            final long version = Long.parseLong((String) reply.get(3));
            tellServed(version, reply.get(4));
            final String agent = (String) reply.get(0);
            final boolean isNew = "1".equals(reply.get(1));
            final int position = Integer.parseInt((String) reply.get(2));
            if (agent.isEmpty()) {
                if (position > 0) {
                    advance(userId, version); // the answer carries this position: older notices must not follow it
                    return new MatchResult(null, isNew, position);
                }
                return position < 0 ? MatchResult.QUEUE_FULL : MatchResult.NO_AGENT;
            }
            cache.put(userId, agent);
            return new MatchResult(agent, isNew);
        });
    }

    @Override
    public CompletionStage<Void> serveQueue() {
        return this.<List<Object>>runQueue(SERVE).thenAccept(
                reply -> tellServed(Long.parseLong((String) reply.get(0)), reply.get(1)));
    }

    @Override
    public CompletionStage<Long> leaveQueue(String userId) {
        return this.<List<Object>>runQueue(LEAVE_QUEUE, userId).thenApply(reply -> {
            final long version = Long.parseLong((String) reply.get(1));
            final long waited = Long.parseLong((String) reply.get(0));
            if (waited >= 0) {
                advance(userId, version);
            }
            tellServed(version, reply.get(2));
            return waited;
        });
    }

    @Override
    public CompletionStage<Integer> queuePosition(String userId) {
        return LuaScript.<Long>call(() -> redis.async().zrank(keys.queue(), userId))
                        .thenApply(rank -> rank == null ? 0 : (int) (rank + 1));
    }

    @Override
    public CompletionStage<Void> expireQueue() {
        return this.<List<Object>>runQueue(EXPIRE, queueTimeoutMillis).thenAccept(reply -> {
            final long version = Long.parseLong((String) reply.get(0));
            final List<?> expired = (List<?>) reply.get(2);
            for (int i = 0; i + 1 < expired.size(); i += 2) {
                final String user = (String) expired.get(i);
                if (local.test(user)) {
                    advance(user, version);
                }
                final long waited = Long.parseLong((String) expired.get(i + 1));
                tell(l -> l.expired(user, waited));
            }
            tellServed(version, reply.get(1));
            waitingCount = Integer.parseInt((String) reply.get(3));
            byStatus = Map.of("available", Integer.parseInt((String) reply.get(4)),
                              "away", Integer.parseInt((String) reply.get(5)));
        });
    }

    /** Tells the listener of the pairings a script made from the queue (user, agent, waited ms, ...). */
    private void tellServed(long version, Object served) {
        final List<?> list = (List<?>) served;
        for (int i = 0; i + 2 < list.size(); i += 3) {
            final String user = (String) list.get(i);
            final String agent = (String) list.get(i + 1);
            final long waited = Long.parseLong((String) list.get(i + 2));
            if (local.test(user)) {
                advance(user, version);
            }
            tell(l -> l.matched(user, agent, waited));
        }
    }

    private void tell(Consumer<QueueListener> notice) {
        try {
            notice.accept(listener);
        } catch (RuntimeException e) {
            logger.warn("Queue listener failed: {}", e.toString());
        }
    }

    /** Records that {@code userId} was told the queue as of {@code version}; {@code false} if it knew newer. */
    private boolean advance(String userId, long version) {
        final boolean[] newer = new boolean[1];
        told.compute(userId, (u, known) -> {
            newer[0] = known == null || version > known;
            return newer[0] ? version : known;
        });
        return newer[0];
    }

    /**
     * A message of the queue channel (on the pub/sub connection's thread, in the order the scripts ran):
     * {@code Q|version|user position user position...}; the users connected here are told their new place, unless
     * they were told something newer already. UserIds have no whitespace ({@code PROTOCOL.md} §1).
     */
    void onPositions(String message) {
        final int bar = message.indexOf('|', 2);
        final long version = Long.parseLong(message.substring(2, bar));
        final String[] f = message.substring(bar + 1).split(" ");
        for (int i = 0; i + 1 < f.length; i += 2) {
            final String user = f[i];
            if (local.test(user) && advance(user, version)) {
                final int position = Integer.parseInt(f[i + 1]);
                tell(l -> l.moved(user, position));
            }
        }
    }

    @Override
    public CompletionStage<List<Waiting>> waiting() {
        return this.<List<Object>>runQueue(WAITING).thenApply(reply -> {
            final List<Waiting> list = new ArrayList<>(reply.size() / 2);
            for (int i = 0; i + 1 < reply.size(); i += 2) {
                list.add(new Waiting((String) reply.get(i), i / 2 + 1, Long.parseLong((String) reply.get(i + 1))));
            }
            return list;
        });
    }

    /** As of the last periodic {@link #expireQueue} (every second). */
    @Override
    public int waitingCount() {
        return waitingCount;
    }

    /** As of the last periodic {@link #expireQueue} (every second). */
    @Override
    public Map<String, Integer> agentsByStatus() {
        return byStatus;
    }

    @Override
    public void setQueueListener(QueueListener listener) {
        this.listener = listener;
    }

    @Override
    public CompletionStage<Boolean> setAvailable(String agentId, boolean available) {
        return this.<Long>runQueue(STATUS, agentId, available ? "1" : "0").thenApply(n -> n == 1L);
    }

    @Override
    public CompletionStage<String> agentStatus(String agentId) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Transfer> transfer(String userId, String fromAgentId, String toAgentId) {
        return this.<List<Object>>runQueue(TRANSFER, userId, fromAgentId, toAgentId == null ? "" : toAgentId)
                   .thenApply(reply -> {
                       final String agent = (String) reply.get(0);
                       if (agent.isEmpty()) {
                           return Transfer.refused(Failure.valueOf((String) reply.get(1)));
                       }
                       // The old agent may no longer write to the user; the new pairing is learned from the
                       // match notices, on the nodes that hold its sides.
                       cache.remove(userId, fromAgentId);
                       return Transfer.to(agent);
                   });
    }

    @Override
    public CompletionStage<Boolean> isPaired(String userId, String agentId) {
        if (agentId.equals(cache.get(userId))) {
            return TRUE;
        }
        return LuaScript.<String>call(() -> redis.async().hget(keys.pairs(), userId)).thenApply(agent -> {
            final boolean paired = agentId.equals(agent);
            if (paired) {
                cache.put(userId, agentId);
            }
            return paired;
        });
    }

    @Override
    public CompletionStage<String> agentOf(String userId) {
        return LuaScript.call(() -> redis.async().hget(keys.pairs(), userId));
    }

    @Override
    public CompletionStage<List<String>> usersOf(String agentId) {
        return LuaScript.<java.util.Set<String>>call(() -> redis.async().smembers(keys.agentUsers(agentId)))
                         .thenApply(ArrayList::new);
    }

    @Override
    public CompletionStage<Boolean> unpair(String userId, String agentId) {
        final String[] unpairKeys = {keys.pairs(), keys.agentUsers(agentId), keys.pool(), keys.queueing()};
        return redis.durable(keys.pairs(), c -> UNPAIR.<Long>run(c, unpairKeys, userId, agentId))
                    .thenApply(n -> {
                         cache.remove(userId, agentId);
                         return n == 1L;
                     });
    }

    @Override
    public void agentOnline(String agentId) {
        agentOnline(agentId, false);
    }

    /**
     * {@code agentId} is online; with {@code resync} (its session is re-announced after a Redis outage) an away
     * agent stays away.
     */
    void agentOnline(String agentId, boolean resync) {
        final String token = onlineToken.apply(agentId);
        if (token.isEmpty()) {
            return; // gone already: its offline follows
        }
        onlineTokens.put(agentId, token);
        final String[] agentKeys = {keys.pool(), keys.agentUsers(agentId), keys.away(), keys.online()};
        redis.durable(keys.pool(), c -> AGENT_ONLINE.run(c, agentKeys, agentId, resync ? "1" : "0", token))
             .whenComplete((n, error) -> logIfFailed("agentOnline", agentId, error));
    }

    @Override
    public void agentOffline(String agentId) {
        final String token = onlineTokens.remove(agentId);
        if (token == null) {
            return;
        }
        final String[] agentKeys = {keys.pool(), keys.away(), keys.online()};
        redis.durable(keys.pool(), c -> AGENT_OFFLINE.run(c, agentKeys, agentId, token))
             .whenComplete((n, error) -> logIfFailed("agentOffline", agentId, error));
    }

    /**
     * Whether {@code userId} is paired or waiting (an agent: has users): a disconnected one stays owned by its node
     * through the grace period.
     */
    CompletionStage<Boolean> pairedOrWaiting(String userId, boolean agent) {
        return PAIRED.<Long>run(redis.async(), new String[] {keys.pairs(), keys.queue(), keys.agentUsers(userId)},
                                userId, agent ? "1" : "0")
                     .thenApply(n -> n == 1L);
    }

    /**
     * The matching half of reaping {@code user} of {@code deadNode}: its role ({@code roleFromPresence}, or from its
     * pairing), an agent the dead node put online leaving the pool. Completes with the role to release, or
     * {@code null}.
     */
    CompletionStage<Role> reap(String user, String roleFromPresence, String deadNode) {
        final String[] reapKeys = {keys.pairs(), keys.queue(), keys.pool(), keys.away(), keys.online()};
        return redis.durable(keys.pairs(), c -> REAP.<String>run(c, reapKeys, keys.agentUsersPrefix(), user,
                                                                  roleFromPresence, deadNode))
                    .thenApply(role -> role.isEmpty() ? null : "agent".equals(role) ? Role.AGENT : Role.USER);
    }

    @Override
    public CompletionStage<List<String>> releaseAgent(String agentId) {
        return this.<List<Object>>runQueue(RELEASE_AGENT, agentId)
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
        return LuaScript.call(() -> redis.async().zscore(keys.pool(), agentId));
    }

    /**
     * Keeps the cache in step with a notice delivered on this node to {@code recipient}: a {@code match} names the
     * agent's new user (to an agent) or the user's new agent (to a user, which after a transfer replaces the old
     * one), a {@code leave} ends a pairing.
     */
    void observe(String recipient, boolean agent, Envelope envelope) {
        final String type = envelope.type();
        final String peer = envelope.msg();
        if (peer == null || peer.isEmpty()) {
            return;
        }
        if (MessageType.MATCH.wireName().equals(type) && Envelopes.CODE_OK.equals(envelope.code())) {
            if (agent) {
                cache.put(peer, recipient);
            } else {
                cache.put(recipient, peer);
            }
        } else if (MessageType.LEAVE.wireName().equals(type)) {
            if (agent) {
                cache.remove(peer, recipient);
            } else {
                cache.remove(recipient, peer);
            }
        }
    }

    /** A session of {@code userId} attached or detached here: forget what the cache knew of its pairings. */
    void forget(String userId, boolean agent) {
        if (agent) {
            cache.values().removeIf(userId::equals); // O(cached pairings); agents come and go rarely
        } else {
            cache.remove(userId);
        }
        told.remove(userId);
    }

    private static void logIfFailed(String what, String agentId, Throwable error) {
        if (error != null) {
            logger.warn("{} agentId={} failed: {}", what, agentId, error.toString());
        }
    }
}
