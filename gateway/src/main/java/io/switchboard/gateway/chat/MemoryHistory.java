package io.switchboard.gateway.chat;

import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The conversation histories of one gateway: in memory, written to the {@link ChatStore} (the data file) and read
 * back at start ({@link #restore}). Each conversation keeps its last {@code max} messages; an ended one is dropped
 * {@code retentionMillis} after its end ({@link #sweep}).
 *
 * <p>History is not a promise, and writing each message as it is routed would cost the data file's writer one change
 * per message: new messages are written in batches, per conversation, by {@link #checkpoint} (every second, and at
 * shutdown). A crash loses at most the last second of history; the start, end and clearing of a conversation are
 * written at once.
 *
 * <p>Thread-safe and non-blocking: one short lock per conversation.
 */
public final class MemoryHistory implements History {

    private static final class Conversation {
        /** Each message as its JSON bytes: one object per message, with no references for the GC to trace. */
        final ArrayDeque<byte[]> messages = new ArrayDeque<>();
        /** 0 while it lasts. Guarded by {@code this}. */
        long endedAtMillis;
        /** The newest messages not yet written to the store. Guarded by {@code this}. */
        int unsaved;
        /** A new conversation of the user took its place: nothing more of it is written. Guarded by {@code this}. */
        boolean replaced;
    }

    private final ChatStore store;
    private final EnvelopeJson json;
    private final int max;
    private final long retentionMillis;
    private final LongSupplier clockMillis;
    private final ConcurrentHashMap<String, Conversation> byUser = new ConcurrentHashMap<>();
    /** Users whose conversation has unsaved messages. */
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();

    /**
     * @param max             the most messages kept per conversation (&gt; 0)
     * @param retentionMillis how long an ended conversation's history is kept
     */
    public MemoryHistory(ChatStore store, EnvelopeJson json, int max, long retentionMillis, LongSupplier clockMillis) {
        if (max <= 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
        }
        this.store = store;
        this.json = json;
        this.max = max;
        this.retentionMillis = retentionMillis;
        this.clockMillis = clockMillis;
    }

    /** Puts back what the store kept; call once, before any traffic. */
    public void restore(ChatStore.StoredHistory stored) {
        stored.messages().forEach((user, messages) -> {
            final Conversation c = new Conversation();
            final int from = Math.max(0, messages.size() - max);
            for (Envelope m : messages.subList(from, messages.size())) {
                c.messages.addLast(json.toBytes(m));
            }
            c.endedAtMillis = stored.endedAtMillis().getOrDefault(user, 0L);
            byUser.put(user, c);
        });
    }

    @Override
    public void started(String userId) {
        final Conversation old = byUser.put(userId, new Conversation());
        if (old != null) {
            synchronized (old) {
                old.replaced = true;
                store.historyCleared(userId);
            }
        }
    }

    @Override
    public void appended(String userId, Envelope normal) {
        final byte[] bytes = json.toBytes(normal);
        final Conversation c = byUser.computeIfAbsent(userId, u -> new Conversation());
        synchronized (c) {
            c.messages.addLast(bytes);
            if (c.messages.size() > max) {
                c.messages.pollFirst();
            }
            c.endedAtMillis = 0;
            c.unsaved = Math.min(c.unsaved + 1, max);
        }
        dirty.add(userId);
    }

    /** Writes the messages not yet in the store, per conversation. Run every second and before the store closes. */
    public void checkpoint() {
        for (String userId : dirty) {
            dirty.remove(userId);
            final Conversation c = byUser.get(userId);
            if (c == null) {
                continue;
            }
            synchronized (c) {
                if (c.unsaved == 0 || c.replaced) {
                    continue;
                }
                // Written as kept: the store takes the JSON, nothing is decoded or encoded again.
                final byte[][] newest = new byte[c.unsaved][];
                final Iterator<byte[]> it = c.messages.descendingIterator();
                for (int i = newest.length - 1; i >= 0; i--) {
                    newest[i] = it.next();
                }
                store.historyAppended(userId, List.of(newest), max);
                c.unsaved = 0;
            }
        }
    }

    @Override
    public void ended(String userId) {
        final Conversation c = byUser.get(userId);
        if (c != null) {
            final long now = clockMillis.getAsLong();
            synchronized (c) {
                c.endedAtMillis = now;
                store.historyEnded(userId, now);
            }
        }
    }

    @Override
    public CompletionStage<List<Envelope>> last(String userId, int n) {
        final Conversation c = byUser.get(userId);
        if (c == null) {
            return Stages.completed(List.of());
        }
        final List<byte[]> newest;
        synchronized (c) {
            final List<byte[]> all = new ArrayList<>(c.messages);
            newest = all.subList(Math.max(0, all.size() - n), all.size());
        }
        final List<Envelope> out = new ArrayList<>(newest.size());
        for (byte[] m : newest) {
            out.add(decode(m));
        }
        return Stages.completed(out);
    }

    private Envelope decode(byte[] bytes) {
        try {
            return json.read(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("a history entry this gateway wrote does not read back", e);
        }
    }

    /** Drops the histories of conversations that ended more than the retention period ago. Run periodically. */
    public void sweep() {
        final long cutoff = clockMillis.getAsLong() - retentionMillis;
        for (Map.Entry<String, Conversation> e : byUser.entrySet()) {
            final Conversation c = e.getValue();
            final boolean expired;
            synchronized (c) {
                expired = c.endedAtMillis != 0 && c.endedAtMillis <= cutoff;
            }
            if (expired && byUser.remove(e.getKey(), c)) {
                synchronized (c) {
                    c.replaced = true;
                    store.historyCleared(e.getKey());
                }
            }
        }
    }

    /** Conversations with a history (for stats and tests). */
    public int size() {
        return byUser.size();
    }
}
