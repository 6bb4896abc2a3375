package io.switchboard.gateway.chat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The conversation histories of one gateway: in memory, written to the {@link ChatStore} (the data file) and read
 * back at start ({@link #restore}). Each conversation keeps its last {@code max} messages; an ended one is dropped
 * {@code retentionMillis} after its end ({@link #sweep}).
 *
 * <p><b>Off the Java heap.</b> A conversation's messages are kept as their JSON, back to back, in one direct buffer
 * (plus a ring of their lengths): at 10k messages per second the histories of 2,000 busy conversations are some
 * 200,000 messages, and as heap objects every one of them lived long enough to be copied by young collections and
 * compacted by full ones (Serial GC pauses of 100-300 ms; docs/BENCHMARKS.md). Together the buffers take at most
 * {@code budgetBytes}: past it, {@link #checkpoint} lets go of the least recently active conversations' memory. Their
 * history stays in a durable store, which then answers {@link #last} (without a data directory it is dropped: history
 * is not a promise). Each buffer is released when its conversation is replaced, swept or let go, under its lock.
 *
 * <p>History is not a promise, and writing each message as it is routed would cost the data file's writer one change
 * per message: new messages are written in batches, per conversation, by {@link #checkpoint} (every second, and at
 * shutdown). A crash loses at most the last second of history; the start, end and clearing of a conversation are
 * written at once.
 *
 * <p>Thread-safe and non-blocking: one short lock per conversation.
 */
public final class MemoryHistory implements History {

    /** Bytes a conversation's buffer starts with (it grows by half). */
    private static final int INITIAL_CAPACITY = 1024;

    private final class Conversation {
        /** Guarded by {@code this}: each message's JSON back to back, oldest first from the reader index; or null. */
        private ByteBuf bytes;
        /** Guarded by {@code this}: the lengths of the messages in {@link #bytes}, a ring from {@link #first}. */
        private int[] lengths;
        private int first;
        private int count;
        /** 0 while it lasts. Guarded by {@code this}. */
        long endedAtMillis;
        /** When a message last joined it, or it started. Guarded by {@code this}. */
        long activeMillis;
        /** The newest messages not yet written to the store. Guarded by {@code this}. */
        int unsaved;
        /** A new conversation of the user took its place: nothing more of it is written. Guarded by {@code this}. */
        boolean replaced;
        /** Older messages than those in memory are in the store only (let go over the budget). Guarded. */
        boolean older;

        Conversation(long now) {
            activeMillis = now;
        }

        /** Appends one message, dropping the oldest past {@code max}. */
        void add(byte[] json) {
            if (bytes == null) {
                lengths = new int[max];
                bytes = alloc.directBuffer(Math.max(INITIAL_CAPACITY, json.length));
                held.addAndGet(bytes.capacity());
            }
            if (count == max) {
                bytes.skipBytes(lengths[first]);
                first = (first + 1) % max;
                count--;
            }
            if (bytes.writableBytes() < json.length) {
                makeRoom(json.length);
            }
            bytes.writeBytes(json);
            lengths[(first + count) % max] = json.length;
            count++;
        }

        /**
         * Makes room for {@code length} more bytes: moves the live messages to the start of the buffer when at least
         * half as many bytes were dropped before them (so at most two bytes are moved per byte appended), else
         * copies them into a new buffer of one and a half times what they need (which also shrinks a buffer left
         * over from longer messages). So a buffer stays within 1.5 to 3 times its messages' bytes.
         */
        private void makeRoom(int length) {
            final int live = bytes.readableBytes();
            final int need = live + length;
            if (bytes.capacity() >= need && bytes.capacity() <= 3 * need && bytes.readerIndex() >= live / 2) {
                bytes.discardReadBytes();
                return;
            }
            final ByteBuf moved = alloc.directBuffer(need + need / 2);
            moved.writeBytes(bytes, bytes.readerIndex(), live);
            held.addAndGet(moved.capacity() - bytes.capacity());
            bytes.release();
            bytes = moved;
        }

        /** The newest {@code n} messages' JSON (n &lt;= count), oldest first, as slices of {@link #bytes}. */
        List<ByteBuf> newest(int n) {
            final List<ByteBuf> out = new ArrayList<>(n);
            int start = bytes.writerIndex();
            for (int i = count - 1; i >= count - n; i--) {
                start -= lengths[(first + i) % max];
            }
            for (int i = count - n; i < count; i++) {
                final int length = lengths[(first + i) % max];
                out.add(bytes.slice(start, length));
                start += length;
            }
            return out;
        }

        /** Lets go of the buffer (its messages are in the store, or dropped). */
        void release() {
            if (bytes != null) {
                held.addAndGet(-bytes.capacity());
                bytes.release();
                bytes = null;
                lengths = null;
                first = 0;
                count = 0;
                unsaved = 0;
            }
        }
    }

    private final ChatStore store;
    private final EnvelopeJson json;
    private final ByteBufAllocator alloc;
    private final int max;
    private final long retentionMillis;
    private final long budgetBytes;
    private final LongSupplier clockMillis;
    private final ConcurrentHashMap<String, Conversation> byUser = new ConcurrentHashMap<>();
    /** Users whose conversation has unsaved messages. */
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    /** The capacity of every conversation's buffer together. */
    private final AtomicLong held = new AtomicLong();

    /**
     * @param alloc           where the conversations' direct buffers come from
     * @param max             the most messages kept per conversation (&gt; 0)
     * @param retentionMillis how long an ended conversation's history is kept
     * @param budgetBytes     the most bytes of buffers for all conversations together (&gt; 0)
     */
    public MemoryHistory(ChatStore store, EnvelopeJson json, ByteBufAllocator alloc, int max, long retentionMillis,
                         long budgetBytes, LongSupplier clockMillis) {
        if (max <= 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
        }
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("budgetBytes: " + budgetBytes + " (expected: > 0)");
        }
        this.store = store;
        this.json = json;
        this.alloc = alloc;
        this.max = max;
        this.retentionMillis = retentionMillis;
        this.budgetBytes = budgetBytes;
        this.clockMillis = clockMillis;
    }

    /** Puts back what the store kept, in memory up to the budget; call once, before any traffic. */
    public void restore(ChatStore.StoredHistory stored) {
        final long now = clockMillis.getAsLong();
        stored.messages().forEach((user, messages) -> {
            final Conversation c = new Conversation(now);
            synchronized (c) {
                if (held.get() < budgetBytes) {
                    final int from = Math.max(0, messages.size() - max);
                    for (Envelope m : messages.subList(from, messages.size())) {
                        c.add(json.toBytes(m));
                    }
                } else {
                    c.older = !messages.isEmpty();
                }
                c.endedAtMillis = stored.endedAtMillis().getOrDefault(user, 0L);
            }
            byUser.put(user, c);
        });
    }

    @Override
    public void started(String userId) {
        final Conversation old = byUser.put(userId, new Conversation(clockMillis.getAsLong()));
        if (old != null) {
            synchronized (old) {
                old.replaced = true;
                old.release();
                store.historyCleared(userId);
            }
        }
    }

    @Override
    public void appended(String userId, Envelope normal) {
        final byte[] bytes = json.toBytes(normal);
        final long now = clockMillis.getAsLong();
        while (true) {
            final Conversation c = byUser.computeIfAbsent(userId, u -> new Conversation(now));
            synchronized (c) {
                if (c.replaced) {
                    // Swept or replaced between the lookup and the lock: its buffer is gone; take the new one.
                    continue;
                }
                c.add(bytes);
                c.endedAtMillis = 0;
                c.activeMillis = now;
                c.unsaved = Math.min(c.unsaved + 1, max);
            }
            break;
        }
        dirty.add(userId);
    }

    /**
     * Writes the messages not yet in the store, per conversation; then, over the budget, lets go of the least
     * recently active conversations' buffers. Run every second and before the store closes.
     */
    public void checkpoint() {
        for (String userId : dirty) {
            dirty.remove(userId);
            final Conversation c = byUser.get(userId);
            if (c == null) {
                continue;
            }
            synchronized (c) {
                save(userId, c);
            }
        }
        if (held.get() > budgetBytes) {
            shrink();
        }
    }

    /** Writes {@code c}'s unsaved messages to the store, as kept: nothing is decoded or encoded again. */
    private void save(String userId, Conversation c) {
        if (c.unsaved == 0 || c.replaced || c.count == 0) {
            c.unsaved = 0;
            return;
        }
        if (store.durable()) {
            final List<ByteBuf> newest = c.newest(Math.min(c.unsaved, c.count));
            final List<byte[]> jsons = new ArrayList<>(newest.size());
            for (ByteBuf m : newest) {
                final byte[] copy = new byte[m.readableBytes()];
                m.getBytes(m.readerIndex(), copy);
                jsons.add(copy);
            }
            store.historyAppended(userId, jsons, max);
        }
        c.unsaved = 0;
    }

    /** Lets go of the least recently active conversations' buffers until the histories take 3/4 of the budget. */
    private void shrink() {
        final List<Map.Entry<String, Conversation>> all = new ArrayList<>(byUser.entrySet());
        final long[] active = new long[all.size()];
        final Integer[] order = new Integer[all.size()];
        for (int i = 0; i < order.length; i++) {
            final Conversation c = all.get(i).getValue();
            synchronized (c) {
                active[i] = c.activeMillis;
            }
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong(i -> active[i]));
        final long target = budgetBytes - budgetBytes / 4;
        for (int i = 0; i < order.length && held.get() > target; i++) {
            final Map.Entry<String, Conversation> e = all.get(order[i]);
            final Conversation c = e.getValue();
            synchronized (c) {
                if (c.bytes == null || c.replaced) {
                    continue;
                }
                save(e.getKey(), c);
                c.older = store.durable();
                c.release();
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
                c.activeMillis = now;
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
        synchronized (c) {
            if (n <= c.count || !c.older) {
                return Stages.completed(decode(c.count == 0 ? List.of() : c.newest(Math.min(n, c.count))));
            }
            // Older messages are in the store only. It has everything this conversation saved; the unsaved newest are
            // here. The read is queued while the lock is held, before any later save of these unsaved messages.
            final int unsaved = Math.min(c.unsaved, c.count);
            final List<Envelope> newest = unsaved == 0 ? List.of() : decode(c.newest(unsaved));
            return store.historyLast(userId, n - unsaved).thenApply(stored -> {
                final List<Envelope> out = new ArrayList<>(stored.size() + newest.size());
                out.addAll(stored);
                out.addAll(newest);
                return out;
            });
        }
    }

    /** Decodes slices of a conversation's buffer (under its lock). */
    private List<Envelope> decode(List<ByteBuf> messages) {
        final List<Envelope> out = new ArrayList<>(messages.size());
        for (ByteBuf m : messages) {
            try (InputStream in = new ByteBufInputStream(m)) {
                out.add(json.read(in));
            } catch (IOException e) {
                throw new UncheckedIOException("a history entry this gateway wrote does not read back", e);
            }
        }
        return out;
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
                    c.release();
                    store.historyCleared(e.getKey());
                }
            }
        }
    }

    /** Lets go of every buffer; call once, after the last {@link #checkpoint}, when the gateway stops. */
    public void close() {
        for (Conversation c : byUser.values()) {
            synchronized (c) {
                c.release();
            }
        }
    }

    /** Conversations with a history (for stats and tests). */
    public int size() {
        return byUser.size();
    }

    /** The bytes of buffers the histories take (for tests). */
    long heldBytes() {
        return held.get();
    }
}
