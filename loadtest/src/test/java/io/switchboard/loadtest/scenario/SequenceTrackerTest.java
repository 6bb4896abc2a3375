package io.switchboard.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.switchboard.loadtest.scenario.SequenceTracker.Arrival;
import org.junit.jupiter.api.Test;

class SequenceTrackerTest {

    @Test
    void inOrderStreamIsClean() {
        final SequenceTracker t = new SequenceTracker();
        for (long i = 0; i < 1000; i++) {
            assertEquals(Arrival.IN_ORDER, t.record(i));
        }
        assertEquals(1000, t.unique());
        assertEquals(0, t.duplicates());
        assertEquals(0, t.reordered());
        assertEquals(0, t.gaps());
        assertEquals(0, t.missing(1000));
    }

    @Test
    void detectsLoss() {
        final SequenceTracker t = new SequenceTracker();
        t.record(0);
        t.record(1);
        t.record(4);
        assertEquals(2, t.gaps());
        // The sender sent 6: 2, 3 and 5 never arrived.
        assertEquals(3, t.missing(6));
    }

    @Test
    void detectsDuplicates() {
        final SequenceTracker t = new SequenceTracker();
        t.record(0);
        t.record(1);
        assertEquals(Arrival.DUPLICATE, t.record(1));
        assertEquals(Arrival.DUPLICATE, t.record(0));
        assertEquals(2, t.unique());
        assertEquals(2, t.duplicates());
        assertEquals(0, t.missing(2));
    }

    @Test
    void lateArrivalIsReorderedAndFillsTheGap() {
        final SequenceTracker t = new SequenceTracker();
        t.record(0);
        t.record(2);
        t.record(3);
        assertEquals(1, t.gaps());
        assertEquals(Arrival.REORDERED, t.record(1));
        assertEquals(0, t.gaps());
        assertEquals(1, t.reordered());
        assertEquals(0, t.missing(4));
        // A late duplicate of the late one is a duplicate, not another reorder.
        assertEquals(Arrival.DUPLICATE, t.record(1));
        assertEquals(1, t.reordered());
    }

    @Test
    void rejectsNegative() {
        assertThrows(IllegalArgumentException.class, () -> new SequenceTracker().record(-1));
    }
}
