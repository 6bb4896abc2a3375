package io.switchboard.gateway.chat;

import io.switchboard.protocol.Envelope;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The conversation histories ({@code PROTOCOL.md} §6 {@code history}): the last {@code normal} messages of each
 * user's conversation, whichever agents took part (a transfer keeps it). A conversation starts with a new pairing
 * (not a transfer), and its history is kept while it lasts and for the retention period after it ends; a new
 * conversation of the same user replaces it. Thread-safe and non-blocking: safe to call from an event loop.
 */
public interface History {

    /** Keeps nothing ({@code --history-max 0}). */
    History NONE = new History() {
        @Override public void started(String userId) { }
        @Override public void appended(String userId, Envelope normal) { }
        @Override public void ended(String userId) { }
        @Override public CompletionStage<List<Envelope>> last(String userId, int n) {
            return Stages.completed(List.of());
        }
    };

    /** {@code userId} has a new pairing: a new conversation, whose history starts empty. */
    void started(String userId);

    /** A {@code normal} between {@code userId} and its agent was routed (either way). */
    void appended(String userId, Envelope normal);

    /** {@code userId}'s conversation ended; its history is kept for the retention period. */
    void ended(String userId);

    /**
     * The last {@code n} messages of {@code userId}'s conversation (current, or ended within retention), oldest
     * first.
     */
    CompletionStage<List<Envelope>> last(String userId, int n);
}
