package io.switchboard.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Full jitter: the ceiling doubles per attempt up to the bound; the draw scales it; never below the floor. */
class BackoffTest {

    @Test
    void ceilingDoublesUpToTheBoundWithoutOverflow() {
        final Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(15), () -> 1.0);
        assertEquals(500, b.ceilingMillis(0));
        assertEquals(1000, b.ceilingMillis(1));
        assertEquals(8000, b.ceilingMillis(4));
        assertEquals(15_000, b.ceilingMillis(5));
        assertEquals(15_000, b.ceilingMillis(1000));
        assertEquals(15_000, b.delayMillis(Integer.MAX_VALUE));
    }

    @Test
    void theDrawIsUniformBelowTheCeilingAndNeverUnderTheFloor() {
        assertEquals(2000, new Backoff(Duration.ofMillis(500), Duration.ofSeconds(15), () -> 0.5).delayMillis(3));
        assertEquals(Backoff.FLOOR_MILLIS,
                new Backoff(Duration.ofMillis(500), Duration.ofSeconds(15), () -> 0.0).delayMillis(3));
    }
}
