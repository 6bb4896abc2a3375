package io.switchboard.gateway.webhook;

import java.util.List;
import java.util.function.Supplier;

/**
 * Where the webhook queues are written through, so that an event accepted for delivery outlives the process
 * ({@code docs/WEBHOOKS.md}, "Delivery guarantees"). Each URL's queue writes an entry when it accepts an event, notes
 * the time of its first failed attempt, and removes the entry once the event is delivered or given up; at start the
 * dispatcher reads the entries back ({@link #load}) and queues them again.
 *
 * <p>Entries are named by {@code (url, seq)}: {@code seq} grows with every event accepted, across restarts (the
 * dispatcher starts after the highest one loaded), so it orders a URL's entries as they were queued.
 *
 * <p>Like {@code chat.ChatStore}, every change is fire and forget: a crash before it is committed costs at most a
 * duplicate (an entry delivered again) or the events accepted in the last moments before the crash (nothing waits
 * for the disk, so nothing was promised about them). {@link #NONE} keeps nothing.
 *
 * <p>Thread-safe and non-blocking: every method but {@link #load} is safe to call from an event loop.
 */
public interface WebhookOutbox {

    /**
     * One event waiting for one URL.
     *
     * @param firstAttemptMillis the wall-clock time of its first attempt if one failed, else {@code 0}
     * @param body               the exact JSON body, signed and sent as is
     */
    record Entry(String url, long seq, String deliveryId, String event, long firstAttemptMillis, String body) {}

    /** Whether entries outlive the process; {@code false} for {@link #NONE}. */
    boolean durable();

    /**
     * {@code url}'s queue accepted an event. {@code body} is called once, on the outbox's own thread (so the caller
     * does not pay for the serialization), and must return the same bytes the sender will send.
     */
    void added(String url, long seq, String deliveryId, String event, Supplier<String> body);

    /** The first attempt of entry {@code (url, seq)} failed; it started at {@code firstAttemptMillis}. */
    void attempted(String url, long seq, long firstAttemptMillis);

    /** Entry {@code (url, seq)} is done: delivered, or given up. */
    void removed(String url, long seq);

    /** Every entry, ordered by URL then seq. Call once, at start, before anything is added; may block. */
    List<Entry> load();

    /**
     * Where entries taken over from another outbox go while the gateway runs: the dispatcher's queues. A cluster node
     * that reaps a dead node moves the dead node's entries into its own outbox, renumbered to seqs it reserved here,
     * then queues them.
     */
    interface Receiver {

        /** Reserves {@code count} consecutive seqs no new event will use; returns the first. Non-blocking. */
        long reserveSeqs(int count);

        /**
         * Queues {@code entries} (already in this node's outbox under their seqs) with their delivery id, body and
         * first-attempt time, within each queue's bound; drops and counts those of URLs not configured here.
         * Non-blocking; safe to call from any thread.
         *
         * @param origin where they come from, for the log
         * @return how many were queued
         */
        int restore(List<Entry> entries, String origin);
    }

    /** Keeps nothing: webhooks queued in memory only. */
    WebhookOutbox NONE = new WebhookOutbox() {
        @Override public boolean durable() { return false; }
        @Override public void added(String url, long seq, String deliveryId, String event, Supplier<String> body) { }
        @Override public void attempted(String url, long seq, long firstAttemptMillis) { }
        @Override public void removed(String url, long seq) { }
        @Override public List<Entry> load() { return List.of(); }
        @Override public String toString() { return "none"; }
    };
}
