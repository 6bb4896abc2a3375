package io.switchboard.gateway.cluster;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A Lua script run with {@code EVALSHA}, falling back to {@code EVAL} once when Redis does not know it (after a
 * restart or {@code SCRIPT FLUSH}), which also loads it again. Immutable; safe to share.
 */
final class LuaScript {

    private final String source;
    private final String sha;
    private final ScriptOutputType type;

    LuaScript(String source, ScriptOutputType type) {
        this.source = source;
        this.type = type;
        try {
            sha = HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }

    /**
     * Issues one Redis command; a command refused synchronously (the client was shut down) becomes a failed stage,
     * so callers handle every failure in one place.
     */
    static <T> CompletionStage<T> call(java.util.function.Supplier<? extends CompletionStage<T>> command) {
        try {
            return command.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Loads {@code scripts} into Redis's script cache ({@code SCRIPT LOAD}); completes when all are loaded. A script
     * Redis does not know is run again with {@code EVAL} when its {@code EVALSHA} fails, and that retry is sent after
     * the commands pipelined behind it: loading the delivery scripts up front keeps a user's deliveries in the order
     * they were routed.
     */
    static CompletionStage<Void> load(RedisClusterAsyncCommands<String, String> redis, List<LuaScript> scripts) {
        CompletionStage<Void> all = CompletableFuture.completedFuture(null);
        for (LuaScript script : scripts) {
            final CompletionStage<String> loaded = call(() -> redis.scriptLoad(script.source));
            all = all.thenCombine(loaded, (a, b) -> null);
        }
        return all;
    }

    /** Runs the script; never blocks, never throws: every failure is a failed stage. */
    <T> CompletionStage<T> run(RedisClusterAsyncCommands<String, String> redis, String[] keys, String... args) {
        final CompletionStage<T> first;
        try {
            first = redis.evalsha(sha, type, keys, args);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e); // e.g. the connection was closed
        }
        return first.handle((value, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(value);
            }
            final Throwable cause = error instanceof CompletionException && error.getCause() != null
                                    ? error.getCause() : error;
            if (cause instanceof RedisNoScriptException) {
                return redis.<T>eval(source, type, keys, args);
            }
            return CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(stage -> stage);
    }
}
