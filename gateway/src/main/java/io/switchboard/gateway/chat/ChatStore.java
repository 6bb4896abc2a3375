package io.switchboard.gateway.chat;

import io.switchboard.protocol.Envelope;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the chat core of one gateway keeps beyond the life of the process: held messages, pairings, and the state of
 * acknowledged delivery ({@code PROTOCOL.md} §5: per-userId sequences, unacknowledged deliveries, remembered
 * receipts). The live state stays in memory ({@link MemoryHold}, {@link InMemoryMatchService}, {@link AckLogs}), which
 * writes every change through to the store and reads it back once, at start ({@link #load}).
 *
 * <p>Changes are applied in the order they are made and committed in groups. A method that returns a stage completes
 * it once that change is committed; a promise to a client ({@code code} "0") waits for it. The {@code void} ones are
 * fire and forget: a crash before their group commits can only bring back something already delivered or ended
 * (a duplicate, never a loss), so nobody waits for them.
 *
 * <p>{@link #MEMORY} keeps nothing: every stage is complete at once (a gateway with {@code --data-dir ""}, and cluster
 * nodes, whose shared state lives in Redis).
 *
 * <p>Thread-safe and non-blocking: every method is safe to call from an event loop.
 */
public interface ChatStore extends AutoCloseable {

    /** A message held for a user: {@code id} orders a user's messages and names the entry. */
    record HeldMessage(String userId, long id, Envelope envelope, long expiresAtMillis) {}

    /** A delivery to an acknowledging userId, kept until acknowledged. */
    record SequencedDelivery(String userId, long seq, Envelope envelope, boolean notifySender, long expiresAtMillis) {}

    /** The last seq given to a userId's deliveries, and the highest it acknowledged. */
    record Sequence(long last, long acked) {
        /** A userId that never had an acknowledged delivery. */
        public static final Sequence NONE = new Sequence(0, 0);
    }

    /** The receipt a userId's {@code normal} with {@code msgId} got, answered again to a resend. */
    record RememberedReceipt(String userId, String msgId, Envelope receipt, long expiresAtMillis) {}

    /** Everything the store held when the gateway started. */
    record Contents(List<HeldMessage> held, Map<String, String> agentOfUser, List<SequencedDelivery> deliveries,
                    Map<String, Sequence> sequences, List<RememberedReceipt> receipts) {
        public static final Contents EMPTY = new Contents(List.of(), Map.of(), List.of(), Map.of(), List.of());
    }

    /** Whether this store outlives the process; {@code false} for {@link #MEMORY}. */
    boolean durable();

    /** Reads back everything stored (expired entries included; the caller drops them). Call once, at start. */
    Contents load();

    /** Completes once every change made before this call is committed. */
    CompletionStage<Void> flushed();

    /** A message is held for a user. */
    void held(HeldMessage message);

    /** A held message left the hold: taken for delivery, dropped by a bound, or expired. */
    void released(long id);

    /** {@code userId} is paired with {@code agentId}. */
    void paired(String userId, String agentId);

    /** {@code userId}'s pairing ended. */
    void unpaired(String userId);

    /**
     * A delivery to an acknowledging userId took its seq. The userId's last seq is the highest of its deliveries, so
     * a store keeps its sequence from these and {@link #acknowledged}.
     */
    void sequenced(SequencedDelivery delivery);

    /**
     * {@code userId} acknowledged (or a bound dropped) its deliveries up to and including seq {@code upTo};
     * {@code sequence} is its new state.
     */
    void acknowledged(String userId, long upTo, Sequence sequence);

    /** The state of {@code userId}'s sequence, read from the store. */
    CompletionStage<Sequence> sequence(String userId);

    /** Remembers the receipt of an acknowledging sender's {@code normal} for resends within the dedup window. */
    void remembered(RememberedReceipt receipt);

    /** A remembered receipt's window ran out. */
    void forgotten(String userId, String msgId);

    /** The conversation histories the store held at start ({@code PROTOCOL.md} §6), per user, oldest first. */
    record StoredHistory(Map<String, List<Envelope>> messages, Map<String, Long> endedAtMillis) {
        public static final StoredHistory EMPTY = new StoredHistory(Map.of(), Map.of());
    }

    /** Reads back the conversation histories; call once, at start. */
    default StoredHistory loadHistory() {
        return StoredHistory.EMPTY;
    }

    /**
     * Messages joined {@code userId}'s conversation history (oldest first), each as its JSON (UTF-8, as the protocol's
     * codec writes it); the history keeps its last {@code keep}.
     */
    default void historyAppended(String userId, List<byte[]> jsons, int keep) { }

    /**
     * The last {@code n} messages of {@code userId}'s history in the store, oldest first: what was written by every
     * {@link #historyAppended} before this call. A store that keeps nothing answers an empty list.
     */
    default CompletionStage<List<Envelope>> historyLast(String userId, int n) {
        return Stages.completed(List.of());
    }

    /** {@code userId}'s conversation ended at {@code atMillis}; its history is kept for the retention period. */
    default void historyEnded(String userId, long atMillis) { }

    /** {@code userId}'s history is gone: a new conversation began, or the retention period ran out. */
    default void historyCleared(String userId) { }

    /** A user waiting in the queue ({@code PROTOCOL.md} §6): its ticket orders the queue. */
    record StoredWait(String userId, long ticket, long sinceMillis) {}

    /** Reads back the waiting queue; call once, at start. */
    default List<StoredWait> loadQueue() {
        return List.of();
    }

    /** {@code userId} joined the queue. */
    default void queued(StoredWait wait) { }

    /** {@code userId} left the queue (matched, left, timed out). */
    default void dequeued(String userId) { }

    /** Commits what is pending and closes; blocks the calling thread (never an event loop) until done. */
    @Override
    void close();

    /** Keeps nothing: a gateway whose state ends with its process. */
    ChatStore MEMORY = new ChatStore() {
        private final CompletionStage<Void> done = CompletableFuture.completedFuture(null);

        @Override public boolean durable() { return false; }
        @Override public Contents load() { return Contents.EMPTY; }
        @Override public CompletionStage<Void> flushed() { return done; }
        @Override public void held(HeldMessage message) { }
        @Override public void released(long id) { }
        @Override public void paired(String userId, String agentId) { }
        @Override public void unpaired(String userId) { }
        @Override public void sequenced(SequencedDelivery delivery) { }
        @Override public void acknowledged(String userId, long upTo, Sequence sequence) { }
        @Override public CompletionStage<Sequence> sequence(String userId) {
            return CompletableFuture.completedFuture(Sequence.NONE);
        }
        @Override public void remembered(RememberedReceipt receipt) { }
        @Override public void forgotten(String userId, String msgId) { }
        @Override public void close() { }
        @Override public String toString() { return "memory"; }
    };
}
