package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.switchboard.gateway.chat.History;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conversation histories of a cluster ({@code PROTOCOL.md} §6 {@code history}): one list per user,
 * {@code history:<user>}, of the envelope JSON of its conversation's {@code normal} messages, oldest first, so any
 * node (the user's after a reconnect, a new agent's after a transfer) reads what was said. A new pairing deletes the
 * list, an append trims it to {@code history-max} and clears any expiry, the end of the conversation sets the expiry
 * to {@code history-retention}.
 *
 * <p>Writes are fire and forget: one pipelined command on the shared connection, no reply awaited on the message's
 * path. History is not a promise; a failed write is counted and logged at most once per 10 s. Issued in the order
 * they are called per node, which keeps a conversation's messages in order: both sides write through the nodes that
 * routed them, in routing order. Thread-safe and non-blocking.
 */
final class RedisHistory implements History {

    private static final Logger logger = LoggerFactory.getLogger(RedisHistory.class);
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    /** KEYS history; ARGV envelope JSON, max. */
    private static final LuaScript APPEND = new LuaScript("""
            redis.call('RPUSH', KEYS[1], ARGV[1])
            redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
            redis.call('PERSIST', KEYS[1])
            return 1
            """, ScriptOutputType.INTEGER);

    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final EnvelopeJson json;
    private final String max;
    private final long retentionMillis;
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);

    /**
     * @param max             the most messages kept per conversation (&gt; 0)
     * @param retentionMillis how long an ended conversation's history is kept
     */
    RedisHistory(ClusterRedis redis, RedisKeys keys, EnvelopeJson json, int max,
                 long retentionMillis) {
        if (max <= 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
        }
        this.redis = redis;
        this.keys = keys;
        this.json = json;
        this.max = Integer.toString(max);
        this.retentionMillis = retentionMillis;
    }

    @Override
    public void started(String userId) {
        settle(LuaScript.call(() -> redis.async().del(keys.history(userId))));
    }

    @Override
    public void appended(String userId, Envelope normal) {
        final String body = new String(json.toBytes(normal), StandardCharsets.UTF_8);
        settle(APPEND.run(redis.async(), new String[] {keys.history(userId)}, body, max));
    }

    @Override
    public void ended(String userId) {
        settle(LuaScript.call(() -> redis.async().pexpire(keys.history(userId), retentionMillis)));
    }

    @Override
    public CompletionStage<List<Envelope>> last(String userId, int n) {
        return LuaScript.<List<String>>call(() -> redis.async().lrange(keys.history(userId), -n, -1))
                        .thenApply(bodies -> {
                            final List<Envelope> out = new ArrayList<>(bodies.size());
                            for (String body : bodies) {
                                try {
                                    out.add(json.read(body.getBytes(StandardCharsets.UTF_8)));
                                } catch (IOException e) {
                                    logger.debug("unreadable history entry of userId={} skipped", userId);
                                }
                            }
                            return out;
                        });
    }

    /** Writes that failed since start. */
    long failed() {
        return failed.get();
    }

    private void settle(CompletionStage<?> write) {
        write.whenComplete((ignored, error) -> {
            if (error == null) {
                return;
            }
            failed.incrementAndGet();
            final long now = System.nanoTime();
            final long last = lastLogNanos.get();
            if (now - last >= LOG_EVERY_NANOS && lastLogNanos.compareAndSet(last, now)) {
                logger.warn("History writes are failing ({} so far): {}", failed.get(), error.toString());
            }
        });
    }
}
