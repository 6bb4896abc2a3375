package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's hold: messages for users connected to no node, in Redis, so that whichever node the user
 * reconnects to delivers them. One list per user of entries {@code deadlineMillis|envelopeJson}, oldest first,
 * trimmed to {@code maxPerUser} (oldest dropped) and expiring {@code ttl} after the newest entry. The route scripts
 * ({@link ClusterRouter}) and the attach script ({@link RedisPresence}) append and take in the same formats, so that
 * "is the user here?" and "hold it" are one atomic step. Every hold is a {@linkplain ClusterRedis#durable durable}
 * write: it backs the promise of a {@code code "0"} receipt. Thread-safe and non-blocking.
 */
final class RedisHold {

    private static final Logger logger = LoggerFactory.getLogger(RedisHold.class);

    /** KEYS hold; ARGV entry, max per user, ttl ms. */
    private static final LuaScript HOLD = new LuaScript("""
            redis.call('RPUSH', KEYS[1], ARGV[1])
            redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return 1
            """, ScriptOutputType.INTEGER);

    /** KEYS hold; ARGV ttl ms, entries oldest first: puts them at the front, in that order. */
    private static final LuaScript PUT_BACK = new LuaScript("""
            for i = #ARGV, 2, -1 do
              redis.call('LPUSH', KEYS[1], ARGV[i])
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            return 1
            """, ScriptOutputType.INTEGER);

    /** The scripts on the delivery path, loaded when the node connects (see {@link LuaScript#load}). */
    static final List<LuaScript> SCRIPTS = List.of(HOLD, PUT_BACK);

    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final EnvelopeJson json;
    private final GatewayMetrics metrics;
    private final int maxPerUser;
    private final long ttlMillis;

    RedisHold(ClusterRedis redis, RedisKeys keys, EnvelopeJson json,
              GatewayMetrics metrics, int maxPerUser, long ttlMillis) {
        this.redis = redis;
        this.keys = keys;
        this.json = json;
        this.metrics = metrics;
        this.maxPerUser = maxPerUser;
        this.ttlMillis = ttlMillis;
    }

    /** Holds an envelope already encoded as {@code body}. */
    CompletionStage<Router.Delivery> holdJson(String userId, String body) {
        final String entry = entry(body);
        final String key = keys.hold(userId);
        return redis.durable(key, c -> HOLD.run(c, new String[] {key}, entry, maxPerUser(), ttlMillis()))
                    .thenApply(n -> Router.Delivery.HELD);
    }

    /**
     * Puts entries taken from the hold back at its front, in their order (a session that took them closed before it
     * could write them): they are older than anything held meanwhile. Durable, as every hold.
     */
    CompletionStage<Router.Delivery> putBack(String userId, List<String> entries) {
        if (entries.isEmpty()) {
            return Router.Delivery.HELD.asStage();
        }
        final String key = keys.hold(userId);
        final String[] args = new String[entries.size() + 1];
        args[0] = ttlMillis();
        for (int i = 0; i < entries.size(); i++) {
            args[i + 1] = entries.get(i);
        }
        return redis.durable(key, c -> PUT_BACK.run(c, new String[] {key}, args))
                    .thenApply(n -> Router.Delivery.HELD);
    }

    /** An entry for {@code body}: its deadline, then the JSON. */
    String entry(String body) {
        return Long.toString(System.currentTimeMillis() + ttlMillis) + '|' + body;
    }

    /** The bound per user, as a script argument. */
    String maxPerUser() {
        return Integer.toString(maxPerUser);
    }

    /** The time to live in milliseconds, as a script argument. */
    String ttlMillis() {
        return Long.toString(ttlMillis);
    }

    /** The envelopes of held entries (oldest first) that have not passed their deadline; the others are counted. */
    List<Envelope> decode(List<Object> entries) {
        final long now = System.currentTimeMillis();
        final List<Envelope> envelopes = new ArrayList<>(entries.size());
        int expired = 0;
        for (Object o : entries) {
            final String entry = (String) o;
            final int bar = entry.indexOf('|');
            if (Long.parseLong(entry.substring(0, bar)) < now) {
                expired++;
                continue;
            }
            try {
                envelopes.add(json.read(entry.substring(bar + 1).getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                logger.warn("Unreadable held message dropped: {}", e.toString());
            }
        }
        if (expired > 0) {
            metrics.offlineExpired(expired);
        }
        return envelopes;
    }
}
