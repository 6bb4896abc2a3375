package io.switchboard.gateway.store;

import static java.util.Objects.requireNonNull;

import io.switchboard.gateway.chat.ChatStore;
import io.switchboard.gateway.webhook.WebhookOutbox;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ChatStore} of a single gateway: one file in the data directory, written through H2's MVStore
 * (a log-structured store of sorted maps; each commit appends a chunk, so a crash leaves the last complete commit).
 *
 * <p><b>Group commit.</b> Changes queue (bounded) for one writer thread, which applies what has queued, commits it
 * in one chunk, optionally fsyncs ({@link Sync}), and only then completes the stages of that group. So a receipt that
 * waits for {@link #flushed()} is sent after its message is in the file: it survives {@code kill -9} of the process
 * at once, and a power loss once synced. A full queue refuses a change (the stage fails, and the promise is not
 * made): the event loops never wait for the disk.
 *
 * <p>Layout: one map per kind; values are strings (a record's fields joined by {@code \u0000}, the envelope as its
 * wire JSON), so the file is readable with H2's own tools and independent of Java serialization. What is written per
 * message (held messages, deliveries, remembered receipts) is keyed by an id in arrival order, so that a commit
 * touches the right edge of each B-tree rather than a page per user; the writer keeps which ids are whose in memory.
 * A user's sequence is written when it acknowledges, not per delivery: its last seq is also the highest of its
 * deliveries in the file.
 *
 * <p>Thread-safe: every method may be called from any thread; only the writer thread touches the maps after
 * {@link #open}.
 */
public final class FileChatStore implements ChatStore {

    private static final Logger logger = LoggerFactory.getLogger(FileChatStore.class);
    /** The file in the data directory; versioned by its name should the layout ever change. */
    public static final String FILE_NAME = "switchboard-1.mv.db";
    private static final char SEP = '\u0000';
    private static final int MAX_GROUP = 4096;
    private static final long SYNC_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** When the writer thread forces a commit to the disk. */
    public enum Sync {
        /** After every group, before its stages complete: a power loss costs nothing that was promised. */
        ALWAYS,
        /** Once a second: a process crash costs nothing, a power loss up to a second of promises. */
        PERIODIC
    }

    private final MVStore store;
    private final MVMap<Long, String> held;
    private final MVMap<String, String> pairings;
    /** Unacknowledged deliveries by an id in arrival order: {@code user \0 seq \0 notify \0 expiry \0 json}. */
    private final MVMap<Long, String> deliveries;
    private final MVMap<String, String> sequences;
    /** Remembered receipts by an id in arrival order: {@code user \0 msgId \0 expiry \0 json}. */
    private final MVMap<Long, String> receipts;
    /**
     * Writer thread only: each user's deliveries in the file, {seq, id} in seq order, and each remembered receipt's
     * id. Keys in arrival order keep every commit at the right edge of the maps' B-trees; keyed by user, a commit
     * rewrote a page for every user it touched.
     */
    private final Map<String, ArrayDeque<long[]>> deliveryIds = new HashMap<>();
    private final Map<String, Long> receiptIds = new HashMap<>();
    /** Conversation histories by an id in arrival order: {@code user \0 json}; writer's index of ids per user. */
    private final MVMap<Long, String> history;
    /** When a user's conversation ended (epoch ms), for its retention. */
    private final MVMap<String, Long> historyEnded;
    private final Map<String, ArrayDeque<Long>> historyIds = new HashMap<>();
    /** The waiting queue: {@code user → ticket \0 since}. */
    private final MVMap<String, String> queueMap;
    /** What the histories held when opened, until {@link #loadHistory} hands it over. */
    private StoredHistory initialHistory;
    /** Writer thread only: sequences changed in the group being applied, written just before its commit. */
    private final Map<String, String> dirtySequences = new HashMap<>();
    /** Writer thread only, after construction: the next id of a delivery or receipt. */
    private long nextId;
    /** What the file held when opened, until {@link #load} hands it over. */
    private Contents initial;
    private final MVMap<String, String> webhooks;
    private final Outbox outbox = new Outbox();
    private final EnvelopeJson json;
    private final Sync sync;
    private final ArrayBlockingQueue<Change> queue;
    private final Thread writer;
    private final AtomicLong refused = new AtomicLong();
    private volatile boolean closing;
    /** Writer thread only. */
    private long lastSyncNanos = System.nanoTime();
    /** Writer thread only: a commit since the last fsync. */
    private boolean unsynced;

    /** One change for the writer thread; {@code done} is {@code null} when nobody waits for it. */
    private record Change(Runnable apply, CompletableFuture<Void> done) {}

    private static final Change STOP = new Change(() -> { }, null);

    private FileChatStore(MVStore store, EnvelopeJson json, Sync sync, int queueCapacity) {
        this.store = store;
        this.json = json;
        this.sync = sync;
        held = store.openMap("held");
        pairings = store.openMap("pairings");
        deliveries = store.openMap("log");
        sequences = store.openMap("sequences");
        receipts = store.openMap("remembered");
        webhooks = store.openMap("webhooks");
        history = store.openMap("history");
        historyEnded = store.openMap("historyEnded");
        queueMap = store.openMap("queue");
        initial = read();
        initialHistory = readHistory();
        queue = new ArrayBlockingQueue<>(queueCapacity);
        writer = new Thread(this::run, "switchboard-store");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Opens (or creates) the store in {@code dataDir}, creating the directory if need be.
     *
     * @param queueCapacity the most changes waiting for the writer thread
     * @throws IllegalStateException if the directory cannot be used or the file is locked by another process
     */
    public static FileChatStore open(Path dataDir, EnvelopeJson json, Sync sync, int queueCapacity) {
        requireNonNull(json, "json");
        requireNonNull(sync, "sync");
        final Path file = dataDir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the data directory " + dataDir + ": " + e, e);
        }
        final MVStore store;
        try {
            store = new MVStore.Builder().fileName(file.toString()).open();
        } catch (MVStoreException e) {
            throw new IllegalStateException("cannot open the data file " + file + " (is another gateway using "
                                            + "this data directory?): " + e.getMessage(), e);
        }
        return new FileChatStore(store, json, sync, queueCapacity);
    }

    @Override
    public boolean durable() {
        return true;
    }

    @Override
    public Contents load() {
        final Contents contents = initial;
        initial = Contents.EMPTY;
        return contents;
    }

    @Override
    public StoredHistory loadHistory() {
        final StoredHistory h = initialHistory;
        initialHistory = StoredHistory.EMPTY;
        return h;
    }

    /** Reads the histories and indexes them; in the constructor, after {@link #read}, before the writer starts. */
    private StoredHistory readHistory() {
        final Map<String, List<Envelope>> messages = new HashMap<>();
        history.forEach((id, value) -> {
            final int sep = value.indexOf(SEP);
            final String user = value.substring(0, sep);
            messages.computeIfAbsent(user, u -> new ArrayList<>()).add(envelope(value.substring(sep + 1)));
            historyIds.computeIfAbsent(user, u -> new ArrayDeque<>()).addLast(id);
            nextId = Math.max(nextId, id + 1);
        });
        return new StoredHistory(messages, new HashMap<>(historyEnded));
    }

    @Override
    public void historyAppended(String userId, List<byte[]> jsons, int keep) {
        final List<String> values = new ArrayList<>(jsons.size());
        for (byte[] json : jsons) {
            values.add(userId + SEP + new String(json, StandardCharsets.UTF_8));
        }
        submit(new Change(() -> {
            final ArrayDeque<Long> ids = historyIds.computeIfAbsent(userId, u -> new ArrayDeque<>());
            for (String value : values) {
                final long id = nextId++;
                history.put(id, value);
                ids.addLast(id);
            }
            while (ids.size() > keep) {
                history.remove(ids.pollFirst());
            }
            historyEnded.remove(userId);
        }, null));
    }

    @Override
    public CompletionStage<List<Envelope>> historyLast(String userId, int n) {
        final CompletableFuture<Void> read = new CompletableFuture<>();
        final List<String> values = new ArrayList<>();
        submit(new Change(() -> {
            final ArrayDeque<Long> ids = historyIds.get(userId);
            if (ids != null) {
                final Iterator<Long> it = ids.descendingIterator();
                for (int i = 0; i < n && it.hasNext(); i++) {
                    values.add(history.get(it.next()));
                }
            }
        }, read));
        return read.thenApply(ignored -> {
            final List<Envelope> out = new ArrayList<>(values.size());
            for (int i = values.size() - 1; i >= 0; i--) {
                final String value = values.get(i);
                out.add(envelope(value.substring(value.indexOf(SEP) + 1)));
            }
            return out;
        });
    }

    @Override
    public List<StoredWait> loadQueue() {
        final List<StoredWait> waits = new ArrayList<>();
        queueMap.forEach((user, value) -> {
            final String[] f = split(value, 2);
            waits.add(new StoredWait(user, Long.parseLong(f[0]), Long.parseLong(f[1])));
        });
        return waits;
    }

    @Override
    public void queued(StoredWait wait) {
        final String value = Long.toString(wait.ticket()) + SEP + wait.sinceMillis();
        submit(new Change(() -> queueMap.put(wait.userId(), value), null));
    }

    @Override
    public void dequeued(String userId) {
        submit(new Change(() -> queueMap.remove(userId), null));
    }

    @Override
    public void historyEnded(String userId, long atMillis) {
        submit(new Change(() -> historyEnded.put(userId, atMillis), null));
    }

    @Override
    public void historyCleared(String userId) {
        submit(new Change(() -> {
            final ArrayDeque<Long> ids = historyIds.remove(userId);
            if (ids != null) {
                for (Long id : ids) {
                    history.remove(id);
                }
            }
            historyEnded.remove(userId);
        }, null));
    }

    /** Reads the file, and builds the writer's indexes; in the constructor, before the writer starts. */
    private Contents read() {
        final long now = System.currentTimeMillis();
        final List<HeldMessage> heldMessages = new ArrayList<>();
        held.forEach((id, value) -> {
            final String[] f = split(value, 3);
            heldMessages.add(new HeldMessage(f[0], id, envelope(f[2]), Long.parseLong(f[1])));
        });
        final Map<String, String> agentOfUser = new HashMap<>(pairings);
        final List<SequencedDelivery> unacked = new ArrayList<>();
        deliveries.forEach((id, value) -> {
            final String[] f = split(value, 5);
            final long seq = Long.parseLong(f[1]);
            unacked.add(new SequencedDelivery(f[0], seq, envelope(f[4]), "1".equals(f[2]), Long.parseLong(f[3])));
            deliveryIds.computeIfAbsent(f[0], u -> new ArrayDeque<>()).add(new long[] {seq, id});
            nextId = Math.max(nextId, id + 1);
        });
        for (ArrayDeque<long[]> ids : deliveryIds.values()) {
            final List<long[]> sorted = new ArrayList<>(ids);
            sorted.sort((a, b) -> Long.compare(a[0], b[0]));
            ids.clear();
            ids.addAll(sorted);
        }
        final Map<String, Sequence> withDeliveries = new HashMap<>();
        for (String userId : deliveryIds.keySet()) {
            withDeliveries.put(userId, sequenceOf(userId));
        }
        final List<RememberedReceipt> remembered = new ArrayList<>();
        receipts.forEach((id, value) -> {
            final String[] f = split(value, 4);
            nextId = Math.max(nextId, id + 1);
            final long expires = Long.parseLong(f[2]);
            if (expires > now) {
                remembered.add(new RememberedReceipt(f[0], f[1], envelope(f[3]), expires));
                receiptIds.put(f[0] + SEP + f[1], id);
            } else {
                receipts.remove(id);
            }
        });
        return new Contents(heldMessages, agentOfUser, unacked, withDeliveries, remembered);
    }

    /**
     * A user's sequence: as last acknowledged in the file, its last seq raised to the highest delivery in the file
     * (a delivery does not write the sequence; an ack does). Writer thread, or the constructor.
     */
    private Sequence sequenceOf(String userId) {
        final String dirty = dirtySequences.get(userId);
        final Sequence stored = parseSequence(dirty != null ? dirty : sequences.get(userId));
        final ArrayDeque<long[]> ids = deliveryIds.get(userId);
        final long highest = ids == null || ids.isEmpty() ? 0 : ids.peekLast()[0];
        return highest > stored.last() ? new Sequence(highest, stored.acked()) : stored;
    }

    @Override
    public CompletionStage<Void> flushed() {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        submit(new Change(() -> { }, done));
        return done;
    }

    @Override
    public void held(HeldMessage m) {
        final String value = m.userId() + SEP + m.expiresAtMillis() + SEP + text(m.envelope());
        submit(new Change(() -> held.put(m.id(), value), null));
    }

    @Override
    public void released(long id) {
        submit(new Change(() -> held.remove(id), null));
    }

    @Override
    public void paired(String userId, String agentId) {
        submit(new Change(() -> pairings.put(userId, agentId), null));
    }

    @Override
    public void unpaired(String userId) {
        submit(new Change(() -> pairings.remove(userId), null));
    }

    @Override
    public void sequenced(SequencedDelivery d) {
        final String value = d.userId() + SEP + d.seq() + SEP + (d.notifySender() ? "1" : "0") + SEP
                             + d.expiresAtMillis() + SEP + text(d.envelope());
        submit(new Change(() -> {
            final long id = nextId++;
            deliveries.put(id, value);
            deliveryIds.computeIfAbsent(d.userId(), u -> new ArrayDeque<>()).addLast(new long[] {d.seq(), id});
        }, null));
    }

    @Override
    public void acknowledged(String userId, long upTo, Sequence sequence) {
        final String seq = text(sequence);
        submit(new Change(() -> {
            final ArrayDeque<long[]> ids = deliveryIds.get(userId);
            while (ids != null && !ids.isEmpty() && ids.peekFirst()[0] <= upTo) {
                deliveries.remove(ids.pollFirst()[1]);
            }
            if (ids != null && ids.isEmpty()) {
                deliveryIds.remove(userId);
            }
            // Written once per group and user however many acks the group holds (see run).
            dirtySequences.put(userId, seq);
        }, null));
    }

    @Override
    public CompletionStage<Sequence> sequence(String userId) {
        final CompletableFuture<Void> read = new CompletableFuture<>();
        final Sequence[] result = new Sequence[1];
        submit(new Change(() -> result[0] = sequenceOf(userId), read));
        return read.thenApply(ignored -> result[0]);
    }

    @Override
    public void remembered(RememberedReceipt r) {
        final String key = r.userId() + SEP + r.msgId();
        final String value = key + SEP + r.expiresAtMillis() + SEP + text(r.receipt());
        submit(new Change(() -> {
            final long id = nextId++;
            receipts.put(id, value);
            final Long previous = receiptIds.put(key, id);
            if (previous != null) {
                receipts.remove(previous);
            }
        }, null));
    }

    @Override
    public void forgotten(String userId, String msgId) {
        final String key = userId + SEP + msgId;
        submit(new Change(() -> {
            final Long id = receiptIds.remove(key);
            if (id != null) {
                receipts.remove(id);
            }
        }, null));
    }

    /**
     * The webhook outbox in this file (map {@code webhooks}: key {@code url \0 seq}, the seq zero-padded so that a
     * URL's entries sort in queue order; value {@code deliveryId \0 event \0 firstAttemptMillis \0 body}). Its
     * changes go through the same writer thread and group commits as the chat state's.
     */
    public WebhookOutbox webhookOutbox() {
        return outbox;
    }

    /** The webhook outbox view of this store; every change is fire and forget, like the {@code void} ones above. */
    private final class Outbox implements WebhookOutbox {

        @Override
        public boolean durable() {
            return true;
        }

        @Override
        public void added(String url, long seq, String deliveryId, String event, Supplier<String> body) {
            final String key = outboxKey(url, seq);
            // The body is serialized here, on the writer thread, not on the caller's event loop.
            submit(new Change(() -> {
                final String text;
                try {
                    text = body.get();
                } catch (RuntimeException e) {
                    return; // the sender drops an event it cannot serialize; it must not fail the group's commit
                }
                webhooks.put(key, deliveryId + SEP + event + SEP + 0 + SEP + text);
            }, null));
        }

        @Override
        public void attempted(String url, long seq, long firstAttemptMillis) {
            final String key = outboxKey(url, seq);
            submit(new Change(() -> {
                final String value = webhooks.get(key);
                if (value != null) {
                    final String[] f = split(value, 4);
                    webhooks.put(key, f[0] + SEP + f[1] + SEP + firstAttemptMillis + SEP + f[3]);
                }
            }, null));
        }

        @Override
        public void removed(String url, long seq) {
            final String key = outboxKey(url, seq);
            submit(new Change(() -> webhooks.remove(key), null));
        }

        @Override
        public List<Entry> load() {
            final List<Entry> entries = new ArrayList<>();
            webhooks.forEach((key, value) -> {
                final int sep = key.lastIndexOf(SEP);
                final String[] f = split(value, 4);
                entries.add(new Entry(key.substring(0, sep), Long.parseLong(key.substring(sep + 1)), f[0], f[1],
                                      Long.parseLong(f[2]), f[3]));
            });
            return entries;
        }

        @Override
        public String toString() {
            return "file";
        }
    }

    /** Changes refused because the queue was full (each one a stage failed or an entry left behind). */
    public long refused() {
        return refused.get();
    }

    private void submit(Change change) {
        // While closing, only the writer itself may add changes: what its own completions do in answer to the last
        // groups (a receipt remembered once its delivery is stored) must still reach the file.
        if (closing && Thread.currentThread() != writer || !queue.offer(change)) {
            refused.incrementAndGet();
            final RejectedExecutionException e = new RejectedExecutionException(
                    closing ? "the store is closed" : "the store's queue is full");
            if (change.done() != null) {
                change.done().completeExceptionally(e);
            }
            if (refused.get() % 1000 == 1) {
                logger.warn("The data store refused a change ({} so far): {}", refused.get(), e.getMessage());
            }
        }
    }

    /**
     * The writer thread: apply what queued, commit once, then complete the group's stages. After {@link #close}'s
     * stop mark it goes on until the queue is empty, so that changes its completions made are written too.
     */
    private void run() {
        final List<Change> group = new ArrayList<>(MAX_GROUP);
        boolean stop = false;
        while (true) {
            final Change first;
            try {
                first = stop ? queue.poll() : queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (first == null && stop) {
                break;
            }
            if (first == null) {
                try {
                    syncIfDue();
                } catch (RuntimeException e) {
                    logger.warn("The data store could not sync its file: {}", e.toString());
                }
                continue;
            }
            group.add(first);
            queue.drainTo(group, MAX_GROUP - 1);
            Throwable failure = null;
            for (Change c : group) {
                if (c == STOP) {
                    stop = true;
                    continue;
                }
                try {
                    c.apply().run();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            try {
                if (!dirtySequences.isEmpty()) {
                    sequences.putAll(dirtySequences);
                    dirtySequences.clear();
                }
                store.commit();
                unsynced = true;
                if (sync == Sync.ALWAYS || stop) {
                    sync();
                } else {
                    syncIfDue();
                }
            } catch (RuntimeException e) {
                failure = e;
            }
            for (Change c : group) {
                if (c.done() != null) {
                    if (failure == null) {
                        c.done().complete(null);
                    } else {
                        c.done().completeExceptionally(failure);
                    }
                }
            }
            if (failure != null) {
                logger.warn("The data store could not write a group of {} changes: {}", group.size(),
                            failure.toString());
            }
            group.clear();
        }
    }

    private void syncIfDue() {
        if (unsynced && System.nanoTime() - lastSyncNanos >= SYNC_INTERVAL_NANOS) {
            sync();
        }
    }

    private void sync() {
        store.sync();
        unsynced = false;
        lastSyncNanos = System.nanoTime();
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            queue.put(STOP);
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }

    private String text(Envelope envelope) {
        return new String(json.toBytes(envelope), StandardCharsets.UTF_8);
    }

    private static String text(Sequence s) {
        return Long.toString(s.last()) + SEP + s.acked();
    }

    private Envelope envelope(String text) {
        try {
            return json.read(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("a stored envelope is not valid JSON", e);
        }
    }

    private static Sequence parseSequence(String value) {
        if (value == null) {
            return Sequence.NONE;
        }
        final String[] f = split(value, 2);
        return new Sequence(Long.parseLong(f[0]), Long.parseLong(f[1]));
    }

    private static String outboxKey(String url, long seq) {
        return url + SEP + padded(seq);
    }

    private static String padded(long n) {
        final String digits = Long.toString(n);
        return "0".repeat(19 - digits.length()) + digits;
    }

    private static String[] split(String value, int fields) {
        final String[] out = new String[fields];
        int start = 0;
        for (int i = 0; i < fields - 1; i++) {
            final int end = value.indexOf(SEP, start);
            out[i] = value.substring(start, end);
            start = end + 1;
        }
        out[fields - 1] = value.substring(start);
        return out;
    }
}
