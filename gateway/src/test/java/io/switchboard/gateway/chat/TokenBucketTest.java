package io.switchboard.gateway.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long T0 = 123_456_789_000L;

    private static int drain(TokenBucket bucket, long now) {
        int n = 0;
        while (bucket.tryAcquire(now)) {
            n++;
            if (n > 1_000_000) {
                throw new AssertionError("bucket never empties");
            }
        }
        return n;
    }

    @Test
    void rejectsNonPositiveSettings() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, T0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, 0, T0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(-1, 5, T0));
    }

    @Test
    void startsFullWithTheBurst() {
        final TokenBucket bucket = new TokenBucket(100, 200, T0);
        assertEquals(200, drain(bucket, T0));
        assertFalse(bucket.tryAcquire(T0));
    }

    @Test
    void refillsAtTheRate() {
        final TokenBucket bucket = new TokenBucket(10, 5, T0); // a token every 100 ms
        assertEquals(5, drain(bucket, T0));
        assertFalse(bucket.tryAcquire(T0 + 99_999_999L), "not a whole token yet");
        assertTrue(bucket.tryAcquire(T0 + 100_000_000L));
        assertFalse(bucket.tryAcquire(T0 + 100_000_000L));
        // 300 ms later: three more.
        assertEquals(3, drain(bucket, T0 + 400_000_000L));
        // Fractions accumulate: 50 ms + 50 ms make one token.
        assertFalse(bucket.tryAcquire(T0 + 450_000_000L));
        assertTrue(bucket.tryAcquire(T0 + 500_000_000L));
    }

    @Test
    void sustainedRateMatchesTheConfiguredRate() {
        final TokenBucket bucket = new TokenBucket(100, 1, T0);
        int granted = 0;
        // Ask every millisecond for ten seconds.
        for (long t = T0; t < T0 + 10 * SECOND; t += 1_000_000L) {
            if (bucket.tryAcquire(t)) {
                granted++;
            }
        }
        assertEquals(1000, granted);
    }

    @Test
    void neverHoldsMoreThanTheBurst() {
        final TokenBucket bucket = new TokenBucket(100, 20, T0);
        assertEquals(20, drain(bucket, T0));
        // An hour of silence refills only up to the burst.
        assertEquals(20, drain(bucket, T0 + 3600 * SECOND));
        // And a huge jump does not overflow.
        final TokenBucket far = new TokenBucket(1, 3, T0);
        assertEquals(3, drain(far, Long.MAX_VALUE / 2));
    }

    @Test
    void aClockGoingBackwardsGrantsNothingAndBreaksNothing() {
        final TokenBucket bucket = new TokenBucket(1, 2, 10 * SECOND);
        assertEquals(2, drain(bucket, 10 * SECOND));
        // The clock steps back five seconds: no tokens, no exception, no negative credit.
        assertFalse(bucket.tryAcquire(5 * SECOND));
        // Coming back to where it was is not time passing either: the second between 9 s and 10 s was already
        // counted, so no token may appear out of it.
        assertFalse(bucket.tryAcquire(9 * SECOND));
        assertFalse(bucket.tryAcquire(10 * SECOND));
        // Real time passing afterwards refills at the normal rate.
        assertTrue(bucket.tryAcquire(11 * SECOND));
        assertFalse(bucket.tryAcquire(11 * SECOND));
        assertEquals(2, drain(bucket, 20 * SECOND));
    }

    @Test
    void worksAcrossNanoTimeWraparound() {
        final long nearMax = Long.MAX_VALUE - SECOND / 2;
        final TokenBucket bucket = new TokenBucket(1, 1, nearMax);
        assertTrue(bucket.tryAcquire(nearMax));
        assertFalse(bucket.tryAcquire(nearMax));
        // One second later nanoTime has wrapped to a negative value; the difference is still one second.
        assertTrue(bucket.tryAcquire(nearMax + SECOND));
    }
}
