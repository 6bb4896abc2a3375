package io.switchboard.gateway.chat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.slf4j.Logger;

/**
 * The completed-stage fast path, in one place. On one gateway every stage the chat core returns is already complete,
 * so callers act on the value at once instead of paying for a continuation; in a cluster the stage completes later
 * (Redis, another node) and the continuation runs on the caller's event loop. Stateless.
 */
public final class Stages {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private Stages() {}

    /** The value of a stage that already completed normally, else {@code null}. Never waits. */
    public static <T> T valueIfDone(CompletionStage<T> stage) {
        if (stage instanceof CompletableFuture<T> f && f.isDone() && !f.isCompletedExceptionally()) {
            return f.getNow(null);
        }
        return null;
    }

    /** Whether {@code stage} has completed, normally or not. */
    public static boolean isDone(CompletionStage<?> stage) {
        return stage instanceof CompletableFuture<?> f && f.isDone();
    }

    /** An already completed stage. */
    public static <T> CompletionStage<T> completed(T value) {
        return CompletableFuture.completedFuture(value);
    }

    /** The shared, already completed {@code Void} stage. Never complete it. */
    public static CompletionStage<Void> done() {
        return DONE;
    }

    /**
     * Runs {@code action} with the outcome of {@code stage}: at once, on the calling thread, when the stage already
     * completed normally (the single-node path); otherwise on {@code executor} (the caller's event loop) when it
     * completes. Non-blocking; safe to call from an event loop.
     */
    public static <T> void whenDone(CompletionStage<T> stage, Executor executor,
                                    BiConsumer<? super T, Throwable> action) {
        final T now = valueIfDone(stage);
        if (now != null) {
            action.accept(now, null);
        } else {
            stage.whenCompleteAsync(action, executor);
        }
    }

    /**
     * For work whose failure only needs noting (the next change or a periodic run does it again): logs a failure of
     * {@code stage} at DEBUG as "{@code what} failed".
     */
    public static void debugOnFailure(CompletionStage<?> stage, Logger logger, String what) {
        stage.whenComplete((ignored, error) -> {
            if (error != null) {
                logger.debug("{} failed: {}", what, error.toString());
            }
        });
    }
}
