package io.switchboard.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Reading the stages of the async {@code Router}/{@code MatchService}/{@code ChatService} APIs in unit tests. */
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
