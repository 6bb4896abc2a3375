package io.switchboard.gateway.chat;

import io.switchboard.protocol.Envelope;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Idempotent sends ({@code PROTOCOL.md} §5): a {@code normal} that an acknowledging connection sends again with a
 * {@code msgId} its userId already used within the dedup window is not delivered again; the resend gets the first
 * send's receipt. One gateway keeps the receipts in memory and its data file ({@link LocalResends}); a cluster keeps
 * them in Redis. Thread-safe and non-blocking.
 */
public interface Resends {

    /**
     * The receipt of {@code userId}'s send of {@code msgId}: the remembered one if this is a resend (waiting for it if
     * the first send is still in flight), else {@code send}'s, which is then remembered if it is a success.
     */
    CompletionStage<Envelope> answer(String userId, String msgId, Supplier<CompletionStage<Envelope>> send);
}
