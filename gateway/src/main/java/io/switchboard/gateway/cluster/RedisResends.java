package io.switchboard.gateway.cluster;

import io.lettuce.core.SetArgs;
import io.netty.util.concurrent.EventExecutor;
import io.switchboard.gateway.chat.Resends;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Resends} in a cluster: a resend may reach another node than the first send, so each (userId, msgId) is one
 * Redis key ({@link RedisKeys#resend}) that lives for the dedup window. The first send claims it ({@code SET NX},
 * value {@code P}) and replaces the claim with its receipt once that is a success, or deletes it (a failed send
 * delivered nothing). A resend that finds the claim waits for the receipt, polling briefly, up to
 * {@code remoteTimeout}; past it the resend fails (the caller answers {@code UNAVAILABLE}, and the client may try
 * again).
 *
 * <p>Thread-safe and non-blocking: Redis replies complete on Lettuce threads; polls are scheduled on {@code timer}.
 */
final class RedisResends implements Resends {

    private static final Logger logger = LoggerFactory.getLogger(RedisResends.class);
    private static final String PENDING = "P";
    private static final long POLL_MILLIS = 20;

    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final EnvelopeJson json;
    private final long windowMillis;
    private final long remoteTimeoutMillis;
    private volatile EventExecutor timer;

    RedisResends(ClusterRedis redis, RedisKeys keys, EnvelopeJson json,
                 long windowMillis, long remoteTimeoutMillis) {
        this.redis = redis;
        this.keys = keys;
        this.json = json;
        this.windowMillis = windowMillis;
        this.remoteTimeoutMillis = remoteTimeoutMillis;
    }

    /** The loop that runs the polls of resends waiting for a first send in flight; set when the node starts. */
    void timer(EventExecutor loop) {
        this.timer = loop;
    }

    @Override
    public CompletionStage<Envelope> answer(String userId, String msgId, Supplier<CompletionStage<Envelope>> send) {
        final String key = keys.resend(userId, msgId);
        return LuaScript.call(() -> redis.async().set(key, PENDING, SetArgs.Builder.nx().px(windowMillis)))
                        .thenCompose(claimed -> {
                            if ("OK".equals(claimed)) {
                                return send.get().thenCompose(receipt -> remember(key, receipt));
                            }
                            final CompletableFuture<Envelope> earlier = new CompletableFuture<>();
                            poll(key, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(remoteTimeoutMillis),
                                 earlier);
                            return earlier;
                        });
    }

    private CompletionStage<Envelope> remember(String key, Envelope receipt) {
        if (!receipt.isSuccess()) {
            return LuaScript.call(() -> redis.async().del(key)).handle((n, error) -> receipt);
        }
        final String body = new String(json.toBytes(receipt), StandardCharsets.UTF_8);
        // Answered once Redis has it: a resend to any node, even after this one died, must find it.
        return LuaScript.call(() -> redis.async().set(key, body, SetArgs.Builder.xx().px(windowMillis)))
                        .handle((ok, error) -> {
                            if (error != null) {
                                logger.debug("Receipt of {} not remembered: {}", key, error.toString());
                            }
                            return receipt;
                        });
    }

    private void poll(String key, long deadlineNanos, CompletableFuture<Envelope> earlier) {
        LuaScript.call(() -> redis.async().get(key)).whenComplete((value, error) -> {
            if (error != null) {
                earlier.completeExceptionally(error);
            } else if (value == null) {
                // The first send failed (or its window ended): this one is a new attempt, but the caller already
                // chose to answer it as a resend; let it fail so the client sends again.
                earlier.completeExceptionally(new IllegalStateException("the first send of " + key + " failed"));
            } else if (!PENDING.equals(value)) {
                earlier.complete(decode(value));
            } else if (System.nanoTime() - deadlineNanos > 0 || timer == null) {
                earlier.completeExceptionally(new IllegalStateException("the first send of " + key
                                                                        + " is still in flight"));
            } else {
                timer.schedule(() -> poll(key, deadlineNanos, earlier), POLL_MILLIS, TimeUnit.MILLISECONDS);
            }
        });
    }

    private Envelope decode(String body) {
        try {
            return json.read(body.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("unreadable remembered receipt", e);
        }
    }
}
