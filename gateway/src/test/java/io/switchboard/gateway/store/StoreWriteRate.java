package io.switchboard.gateway.store;

import io.switchboard.gateway.chat.ChatStore;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * The data file's promise rate, for {@code bench/store-rate.sh}: {@code producers} closed loops each hold a message
 * (the change a {@code stored offline} receipt waits for) and wait until the store has committed it, as a sender
 * waits for its receipt, for {@code seconds}. Prints promises per second and the commit wait's percentiles for one
 * {@link FileChatStore.Sync} policy. Not a test: a benchmark main, run on a quiet machine.
 *
 * <pre>{@code java -cp gateway/target/test-classes:gateway/target/switchboard-gateway.jar \
 *     io.switchboard.gateway.store.StoreWriteRate DIR periodic|always PRODUCERS SECONDS}</pre>
 */
public final class StoreWriteRate {

    /** {@code -Dpattern=ack}: the changes of an acknowledged message instead of a held one. */
    private static final boolean ACK = "ack".equals(System.getProperty("pattern"));

    private StoreWriteRate() {}

    public static void main(String[] args) throws Exception {
        final Path dir = Files.createDirectories(Path.of(args[0]));
        final FileChatStore.Sync sync = FileChatStore.Sync.valueOf(args[1].toUpperCase(java.util.Locale.ROOT));
        final int producers = Integer.parseInt(args[2]);
        final long seconds = Long.parseLong(args[3]);
        final Envelope message = new Envelope("normal", "m-1", "agent-1", "user-1", "x".repeat(100), "0",
                                              "1700000000000", null);
        final Recorder waits = new Recorder(3);
        final AtomicLong promised = new AtomicLong();
        final AtomicLong ids = new AtomicLong();
        try (FileChatStore store = FileChatStore.open(dir, EnvelopeJson.create(), sync, 65_536)) {
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            final CountDownLatch finished = new CountDownLatch(producers);
            for (int p = 0; p < producers; p++) {
                final String user = "user-" + p;
                loop(store, user, message, ids, waits, promised, end, finished);
            }
            finished.await();
        }
        final var h = waits.getIntervalHistogram();
        System.out.printf("pattern=%s sync=%s producers=%d seconds=%d promises/s=%.0f commit-wait p50=%.2fms "
                          + "p99=%.2fms p99.9=%.2fms max=%.2fms%n", ACK ? "ack" : "held",
                          sync.name().toLowerCase(java.util.Locale.ROOT), producers,
                          seconds, promised.get() / (double) seconds, h.getValueAtPercentile(50) / 1e6,
                          h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6,
                          h.getMaxValue() / 1e6);
    }

    /** One closed loop: hold, wait for the commit, hold the next; until {@code end}. */
    private static void loop(FileChatStore store, String user, Envelope message, AtomicLong ids, Recorder waits,
                             AtomicLong promised, long end, CountDownLatch finished) {
        final long start = System.nanoTime();
        if (start - end > 0) {
            finished.countDown();
            return;
        }
        final long id = ids.incrementAndGet();
        if (ACK) {
            // What one acknowledged message costs the store: its delivery sequenced, the sender's receipt remembered,
            // the recipient's ack (and the receipt forgotten, as the dedup window would, to keep the size steady).
            final String to = user + "-peer-" + (id % 30);
            store.sequenced(new ChatStore.SequencedDelivery(to, id, message.withSeq(Long.toString(id)), true,
                                                            System.currentTimeMillis() + 600_000));
            store.remembered(new ChatStore.RememberedReceipt(user, "m" + id, message,
                                                             System.currentTimeMillis() + 300_000));
        } else {
            store.held(new ChatStore.HeldMessage(user, id, message, System.currentTimeMillis() + 600_000));
        }
        store.flushed().whenComplete((ok, error) -> {
            waits.recordValue(System.nanoTime() - start);
            promised.incrementAndGet();
            if (ACK) {
                final String to = user + "-peer-" + (id % 30);
                store.acknowledged(to, id, new ChatStore.Sequence(id, id));
                store.forgotten(user, "m" + id);
            } else {
                // Released at once, as a delivery would: the file keeps its steady-state size.
                store.released(id);
            }
            loop(store, user, message, ids, waits, promised, end, finished);
        });
    }
}
