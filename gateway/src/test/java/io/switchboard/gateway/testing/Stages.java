package io.switchboard.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reading the stages of the async {@code Router}/{@code MatchService}/{@code ChatRules} APIs in unit tests. Not the
 * main code's {@link io.switchboard.gateway.chat.Stages#valueIfDone}, which answers {@code null} for a stage that is
 * still pending: here a pending stage fails the test, a failed one throws, and a {@code null} value (an unpaired
 * user's agent) is told apart from "not done".
 */
public final class Stages {

    private Stages() {}

    /**
     * The value of a stage that must already be complete: on one gateway every stage is, so a stage still pending is
     * a failure (it would mean the single-node path went asynchronous).
     */
    public static <T> T done(CompletionStage<T> stage) {
        final CompletableFuture<T> f = stage.toCompletableFuture();
        assertTrue(f.isDone(), "expected an already completed stage on the single-node path");
        return f.join();
    }
}
