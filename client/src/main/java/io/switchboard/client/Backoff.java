package io.switchboard.client;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: before reconnect attempt {@code n} (0-based) the client waits a uniformly
 * random time in {@code [0, min(max, initial * 2^n)]}, and never less than {@link #FLOOR_MILLIS}. Full jitter spreads
 * the reconnects of many clients that lost their gateway at the same moment, so that they do not come back in a
 * thundering herd (the same rule as the gateway's web pages, {@code assets/protocol.js}).
 *
 * <p>Immutable and thread-safe.
 */
final class Backoff {

    /** No reconnect comes sooner than this, whatever the draw. */
    static final long FLOOR_MILLIS = 100;

    private final long initialMillis;
    private final long maxMillis;
    private final DoubleSupplier random;

    Backoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    /** The ceiling of attempt {@code attempt}: {@code min(max, initial * 2^attempt)}, without overflow. */
    long ceilingMillis(int attempt) {
        final int shift = Math.min(Math.max(attempt, 0), 62);
        final long scaled = initialMillis > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : initialMillis << shift;
        return Math.min(maxMillis, scaled);
    }

    /** The delay before attempt {@code attempt}, in milliseconds. */
    long delayMillis(int attempt) {
        final long ceiling = ceilingMillis(attempt);
        return Math.max(FLOOR_MILLIS, (long) (random.getAsDouble() * ceiling));
    }
}
