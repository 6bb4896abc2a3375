package io.switchboard.loadtest.scenario;

import java.util.BitSet;

/**
 * Checks one stream of sequence numbers ({@code 0, 1, 2, ...}, as one sender sent them) as it arrives: counts
 * unique arrivals, duplicates, and reordered arrivals (a number lower than one already seen, arriving late); what
 * never arrived is {@link #missing(long)} once the sender's count is known, or {@link #gaps()} so far.
 *
 * <p>Not thread-safe: confine it to the event loop of the connection that receives the stream.
 */
public final class SequenceTracker {

    /** What one arrival was. */
    public enum Arrival {
        /** The next expected number, or a higher one (a gap may precede it). */
        IN_ORDER,
        /** First arrival of a number lower than the highest seen: it was overtaken. */
        REORDERED,
        /** A number already seen. */
        DUPLICATE
    }

    private final BitSet seen = new BitSet();
    private long highest = -1;
    private long unique;
    private long duplicates;
    private long reordered;

    /**
     * Records the arrival of {@code seq}.
     *
     * @throws IllegalArgumentException if {@code seq} is negative or beyond {@code Integer.MAX_VALUE - 1}
     */
    public Arrival record(long seq) {
        if (seq < 0 || seq >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("seq: " + seq + " (expected 0.." + (Integer.MAX_VALUE - 1) + ')');
        }
        final int i = (int) seq;
        if (seen.get(i)) {
            duplicates++;
            return Arrival.DUPLICATE;
        }
        seen.set(i);
        unique++;
        if (seq < highest) {
            reordered++;
            return Arrival.REORDERED;
        }
        highest = seq;
        return Arrival.IN_ORDER;
    }

    /** Distinct numbers received. */
    public long unique() {
        return unique;
    }

    public long duplicates() {
        return duplicates;
    }

    public long reordered() {
        return reordered;
    }

    /** The highest number received, -1 if none. */
    public long highest() {
        return highest;
    }

    /** Numbers below the highest received that have not arrived (yet). */
    public long gaps() {
        return highest + 1 - unique;
    }

    /** Of the numbers {@code 0..expected-1}, how many never arrived. */
    public long missing(long expected) {
        if (expected <= 0) {
            return 0;
        }
        final int n = (int) Math.min(expected, Integer.MAX_VALUE);
        return n - seen.get(0, n).cardinality();
    }
}
