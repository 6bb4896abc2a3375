package io.switchboard.gateway.chat;

/**
 * A token bucket in integer nanoseconds: {@code burst} tokens, refilled at {@code perSecond}. Not thread-safe by
 * design: each connection owns one and touches it only on its event loop.
 */
public final class TokenBucket {

    private final long nanosPerToken;
    private final long capacityNanos;
    private final int burst;
    private long creditNanos;
    private long lastNanos;

    public TokenBucket(int perSecond, int burst, long nowNanos) {
        if (perSecond <= 0 || burst <= 0) {
            throw new IllegalArgumentException("perSecond: " + perSecond + ", burst: " + burst + " (expected: > 0)");
        }
        nanosPerToken = 1_000_000_000L / perSecond;
        capacityNanos = nanosPerToken * burst;
        this.burst = burst;
        creditNanos = capacityNanos;
        lastNanos = nowNanos;
    }

    /** The most tokens the bucket holds. */
    public int burst() {
        return burst;
    }

    /** How long until the bucket holds {@code tokens} (at most its burst); 0 if it does now. */
    public long nanosUntil(int tokens, long nowNanos) {
        final long elapsed = Math.max(0, nowNanos - lastNanos);
        final long credit = Math.min(capacityNanos, creditNanos + elapsed);
        final long wanted = Math.min(capacityNanos, tokens * nanosPerToken);
        return Math.max(0, wanted - credit);
    }

    /** Takes one token if there is one. */
    public boolean tryAcquire(long nowNanos) {
        final long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            // Only forward: after a step back, the time up to the latest reading is not credited a second time.
            lastNanos = nowNanos;
            creditNanos = Math.min(capacityNanos, creditNanos + elapsed);
        }
        if (creditNanos >= nanosPerToken) {
            creditNanos -= nanosPerToken;
            return true;
        }
        return false;
    }
}
