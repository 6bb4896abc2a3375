package io.switchboard.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateSchedulerTest {

    @Test
    void evenlySpacedAcrossUsersAtTheTotalRate() {
        final RateScheduler s = new RateScheduler(1000, 4);
        // One slot per millisecond, users interleaved: u0, u1, u2, u3, u0, ...
        assertEquals(0, s.offsetNanos(0, 0));
        assertEquals(1_000_000, s.offsetNanos(1, 0));
        assertEquals(3_000_000, s.offsetNanos(3, 0));
        assertEquals(4_000_000, s.offsetNanos(0, 1));
        assertEquals(4_000_000, s.perUserIntervalNanos());
    }

    @Test
    void mergedScheduleHasConstantSpacing() {
        final int users = 7;
        final RateScheduler s = new RateScheduler(350, users);
        final List<Long> all = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            for (long seq = 0; seq < 50; seq++) {
                all.add(s.offsetNanos(u, seq));
            }
        }
        Collections.sort(all);
        final long period = 1_000_000_000L / 350;
        for (int i = 1; i < all.size(); i++) {
            final long gap = all.get(i) - all.get(i - 1);
            assertTrue(Math.abs(gap - period) <= 1, "gap " + gap + " at " + i);
        }
    }

    @Test
    void noDriftOverLongRuns() {
        // 20k msg/s over 10k users for 24 hours: the last message is due exactly where arithmetic says.
        final RateScheduler s = new RateScheduler(20_000, 10_000);
        final long seq = 24L * 3600 * 2; // two per user per second
        final long expected = (seq * 10_000 + 9_999) * 50_000L; // 50 us per slot
        assertEquals(expected, s.offsetNanos(9_999, seq), 1_000); // within 1 us after 86,400 s
        // And the schedule is computed, not accumulated: the same (user, seq) always gives the same time.
        assertEquals(s.offsetNanos(42, 123_456), s.offsetNanos(42, 123_456));
    }

    @Test
    void fractionalRates() {
        final RateScheduler s = new RateScheduler(0.5, 1);
        assertEquals(2_000_000_000L, s.offsetNanos(0, 1));
        assertEquals(20_000_000_000L, s.offsetNanos(0, 10));
    }

    @Test
    void countsMessagesInAWindow() {
        final RateScheduler s = new RateScheduler(1000, 4);
        // A 10 ms window holds slots 0..9: users 0 and 1 have 3 messages, users 2 and 3 have 2.
        assertEquals(3, s.messagesBefore(0, 10_000_000));
        assertEquals(3, s.messagesBefore(1, 10_000_000));
        assertEquals(2, s.messagesBefore(2, 10_000_000));
        assertEquals(2, s.messagesBefore(3, 10_000_000));
        assertEquals(0, s.messagesBefore(0, 0));
        long total = 0;
        for (int u = 0; u < 4; u++) {
            total += s.messagesBefore(u, 3_000_000_000L);
        }
        assertEquals(3000, total);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new RateScheduler(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new RateScheduler(10, 0));
        final RateScheduler s = new RateScheduler(10, 2);
        assertThrows(IllegalArgumentException.class, () -> s.offsetNanos(2, 0));
        assertThrows(IllegalArgumentException.class, () -> s.offsetNanos(0, -1));
    }
}
