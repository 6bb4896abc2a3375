package io.switchboard.gateway.chat;

import io.switchboard.protocol.Envelope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The newest notice per user and key for users without a live connection ({@link Router#notifyOrKeep}): a
 * {@code read} mark per conversation. Bounded: {@value #MAX_PER_USER} keys per user (the oldest key goes) and
 * {@value #MAX_TOTAL} notices in all (past it a new key is not kept). Thread-safe and non-blocking.
 */
final class KeptNotices {

    static final int MAX_PER_USER = 256;
    static final int MAX_TOTAL = 100_000;

    private record Kept(Envelope envelope, long atNanos) {}

    private final ConcurrentHashMap<String, LinkedHashMap<String, Kept>> byUser = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    void keep(String userId, String key, Envelope envelope, long nowNanos) {
        byUser.compute(userId, (u, notices) -> {
            final LinkedHashMap<String, Kept> map = notices != null ? notices : new LinkedHashMap<>();
            final boolean replacing = map.containsKey(key);
            if (!replacing && total.get() >= MAX_TOTAL) {
                return notices;
            }
            map.remove(key); // the newest goes last
            map.put(key, new Kept(envelope, nowNanos));
            if (!replacing) {
                total.incrementAndGet();
                if (map.size() > MAX_PER_USER) {
                    map.remove(map.keySet().iterator().next());
                    total.decrementAndGet();
                }
            }
            return map;
        });
    }

    /** Takes what is kept for {@code userId}, oldest first. */
    List<Envelope> take(String userId) {
        final LinkedHashMap<String, Kept> map = byUser.remove(userId);
        if (map == null) {
            return List.of();
        }
        total.addAndGet(-map.size());
        final List<Envelope> out = new ArrayList<>(map.size());
        for (Kept k : map.values()) {
            out.add(k.envelope());
        }
        return out;
    }

    /** Drops what was kept before {@code beforeNanos}. */
    void sweep(long beforeNanos) {
        for (String userId : byUser.keySet()) {
            byUser.computeIfPresent(userId, (u, map) -> {
                for (var it = map.entrySet().iterator(); it.hasNext(); ) {
                    final Map.Entry<String, Kept> e = it.next();
                    if (e.getValue().atNanos() - beforeNanos < 0) {
                        it.remove();
                        total.decrementAndGet();
                    }
                }
                return map.isEmpty() ? null : map;
            });
        }
    }
}
