package io.switchboard.loadtest.report;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Named event counters, summed when results of several processes merge. Hot paths look a counter up once and keep
 * the {@link LongAdder}. Names are dotted lower case ({@code chat.sent}, {@code receipt.0.push-success},
 * {@code error.connect.refused}).
 *
 * <p>Thread-safe.
 */
public final class Counters {

    private final ConcurrentHashMap<String, LongAdder> counters = new ConcurrentHashMap<>();

    /** The counter called {@code name}, created at 0 on first use. */
    public LongAdder get(String name) {
        return counters.computeIfAbsent(name, n -> new LongAdder());
    }

    /** Adds one to {@code name}. */
    public void increment(String name) {
        get(name).increment();
    }

    /** The current value of {@code name} (0 if never used). */
    public long value(String name) {
        final LongAdder a = counters.get(name);
        return a == null ? 0 : a.sum();
    }

    /** The sum of every counter whose name starts with {@code prefix}. */
    public long sumPrefix(String prefix) {
        long sum = 0;
        for (Map.Entry<String, LongAdder> e : counters.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                sum += e.getValue().sum();
            }
        }
        return sum;
    }

    /** All counters, sorted by name. */
    public Map<String, Long> snapshot() {
        final Map<String, Long> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
