package io.switchboard.gateway.webhook;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: the n-th retry waits a uniformly random time in
 * {@code [0, min(cap, base * 2^(n-1))]}, which spreads the retries of many gateways after a backend outage instead
 * of hammering it in lockstep. Pure; thread-safe.
 */
final class Backoff {

    private final long baseMillis;
    private final long capMillis;

    Backoff(long baseMillis, long capMillis) {
        this.baseMillis = baseMillis;
        this.capMillis = capMillis;
    }

    /** The upper bound of the wait before retry {@code attempt} (1 = the first retry). */
    long ceilingMillis(int attempt) {
        final int shift = Math.min(Math.max(attempt - 1, 0), 30);
        return Math.min(capMillis, baseMillis << shift);
    }

    /** A random wait in {@code [0, ceilingMillis(attempt)]}. */
    long delayMillis(int attempt) {
        return ThreadLocalRandom.current().nextLong(ceilingMillis(attempt) + 1);
    }
}
