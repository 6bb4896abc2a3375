package io.switchboard.client;

/**
 * The receiving side of {@code PROTOCOL.md} §5 for one userId, across its connections: which seqs were handed to the
 * application (so that redeliveries are dropped), which the application has finished with (so that they can be
 * acknowledged and resumed from with {@code since}), and the gaps (a seq jump: the gateway's hold bound or TTL dropped
 * deliveries).
 *
 * <p>The gateway sends each userId's deliveries in seq order, so two numbers are enough: the highest seq dispatched
 * and the highest processed. Not thread-safe: confined to the client's event loop.
 */
final class InboundSequence {

    /** The value of {@link #lastProcessed()} before anything is known. */
    static final long UNKNOWN = -1;

    /** What to do with one arriving seq. */
    enum Verdict {
        /** New: hand it to the application. */
        DISPATCH,
        /** Already handed to the application: drop it. */
        DUPLICATE
    }

    private long lastDispatched;
    private long lastProcessed;
    private long duplicates;
    private long gaps;
    private long missing;

    /**
     * @param resumeFrom the last seq the application processed in an earlier life (persisted by it), or
     *                   {@link #UNKNOWN}
     */
    InboundSequence(long resumeFrom) {
        lastDispatched = resumeFrom;
        lastProcessed = resumeFrom;
    }

    /** Records the arrival of {@code seq} and says whether the application should see it. */
    Verdict arrived(long seq) {
        if (lastDispatched != UNKNOWN && seq <= lastDispatched) {
            duplicates++;
            return Verdict.DUPLICATE;
        }
        if (lastDispatched != UNKNOWN && seq > lastDispatched + 1) {
            // PROTOCOL.md §5 "Gaps are visible": seqs are never skipped except when the hold dropped deliveries.
            gaps++;
            missing += seq - lastDispatched - 1;
        }
        lastDispatched = seq;
        return Verdict.DISPATCH;
    }

    /** The application's handler returned for {@code seq}. */
    void processed(long seq) {
        if (seq > lastProcessed) {
            lastProcessed = seq;
        }
    }

    /** The highest seq the application has finished with, or {@link #UNKNOWN}: the {@code since} of a resume. */
    long lastProcessed() {
        return lastProcessed;
    }

    /** Redeliveries dropped so far. */
    long duplicates() {
        return duplicates;
    }

    /** Seq jumps seen so far. */
    long gaps() {
        return gaps;
    }

    /** Seqs skipped by those jumps, in all. */
    long missing() {
        return missing;
    }
}
