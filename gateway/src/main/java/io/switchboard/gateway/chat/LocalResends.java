package io.switchboard.gateway.chat;

import io.switchboard.protocol.Envelope;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@link Resends} on one gateway: the receipt of each {@code normal} an acknowledging connection sent with
 * a {@code msgId} is remembered for the dedup window, and a resend of that {@code msgId} by the same userId gets the
 * same receipt instead of a second delivery. A resend that arrives while the first is still in flight waits for the
 * first one's receipt. Only a successful receipt ({@code code} "0") is remembered: a failed send delivered nothing,
 * so sending it again is a new attempt.
 *
 * <p>Bounds: at most {@code maxPerUser} msgIds per userId (the oldest is forgotten first), each for the window.
 * Remembered receipts are written through to the {@link ChatStore} and put back at start, so a client that resends
 * after a restart or crash of the gateway is not delivered twice.
 *
 * <p>Thread-safe and non-blocking: each userId's entries change only inside {@code ConcurrentHashMap.compute}.
 */
public final class LocalResends implements Resends {

    private final ChatStore store;
    private final long windowMillis;
    private final int maxPerUser;
    private final LongSupplier millisClock;
    private final ConcurrentHashMap<String, LinkedHashMap<String, Entry>> byUser = new ConcurrentHashMap<>();

    /** A receipt, or the future of one still in flight. */
    private record Entry(CompletableFuture<Envelope> receipt, long expiresAtMillis) {}

    /**
     * @param millisClock {@code System::currentTimeMillis} outside tests
     */
    public LocalResends(ChatStore store, long windowMillis, int maxPerUser, LongSupplier millisClock) {
        this.store = store;
        this.windowMillis = windowMillis;
        this.maxPerUser = maxPerUser;
        this.millisClock = millisClock;
    }

    /** Puts back the receipts the store remembered at start. Call once, before any traffic. */
    public void restore(List<ChatStore.RememberedReceipt> receipts) {
        for (ChatStore.RememberedReceipt r : receipts) {
            byUser.computeIfAbsent(r.userId(), u -> new LinkedHashMap<>())
                  .put(r.msgId(), new Entry(CompletableFuture.completedFuture(r.receipt()), r.expiresAtMillis()));
        }
    }

    /**
     * The receipt of {@code userId}'s send of {@code msgId} if it is known (or in flight): answer the resend with
     * it. {@code null} if it is a first send: then {@code send} is called, and its receipt remembered.
     */
    @Override
    public CompletionStage<Envelope> answer(String userId, String msgId, Supplier<CompletionStage<Envelope>> send) {
        final long now = millisClock.getAsLong();
        final CompletableFuture<Envelope> mine = new CompletableFuture<>();
        final Object[] earlier = new Object[1];
        byUser.compute(userId, (u, entries) -> {
            final LinkedHashMap<String, Entry> m = entries != null ? entries : new LinkedHashMap<>();
            final Entry known = m.get(msgId);
            if (known != null && known.expiresAtMillis > now) {
                earlier[0] = known.receipt;
                return m;
            }
            m.remove(msgId);
            m.put(msgId, new Entry(mine, now + windowMillis));
            if (m.size() > maxPerUser) {
                final Iterator<Map.Entry<String, Entry>> oldest = m.entrySet().iterator();
                final String gone = oldest.next().getKey();
                oldest.remove();
                store.forgotten(u, gone);
            }
            return m;
        });
        if (earlier[0] != null) {
            @SuppressWarnings("unchecked")
            final CompletionStage<Envelope> receipt = (CompletionStage<Envelope>) earlier[0];
            return receipt;
        }
        send.get().whenComplete((receipt, error) -> settle(userId, msgId, mine, now + windowMillis, receipt, error));
        return mine;
    }

    private void settle(String userId, String msgId, CompletableFuture<Envelope> mine, long expiresAtMillis,
                        Envelope receipt, Throwable error) {
        if (error != null || !receipt.isSuccess()) {
            byUser.computeIfPresent(userId, (u, entries) -> {
                final Entry current = entries.get(msgId);
                if (current != null && current.receipt == mine) {
                    entries.remove(msgId);
                }
                return entries.isEmpty() ? null : entries;
            });
            if (error != null) {
                mine.completeExceptionally(error);
            } else {
                mine.complete(receipt);
            }
            return;
        }
        store.remembered(new ChatStore.RememberedReceipt(userId, msgId, receipt, expiresAtMillis));
        if (store.durable()) {
            // Answered once remembered on disk: a resend after a crash must find it.
            store.flushed().whenComplete((ignored, e) -> mine.complete(receipt));
        } else {
            mine.complete(receipt);
        }
    }

    /** Forgets every receipt past its window. Run periodically. */
    public void sweep() {
        final long now = millisClock.getAsLong();
        for (String userId : byUser.keySet()) {
            byUser.computeIfPresent(userId, (u, entries) -> {
                final Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
                while (it.hasNext()) {
                    final Map.Entry<String, Entry> e = it.next();
                    if (e.getValue().expiresAtMillis <= now && e.getValue().receipt.isDone()) {
                        it.remove();
                        store.forgotten(u, e.getKey());
                    }
                }
                return entries.isEmpty() ? null : entries;
            });
        }
    }

    /** Userids with remembered msgIds (for stats). */
    public int users() {
        return byUser.size();
    }
}
