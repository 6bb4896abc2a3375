package io.switchboard.loadtest.scenario;

import io.switchboard.protocol.validate.EnvelopeValidator;

/**
 * The receiving side of {@code PROTOCOL.md} §5 for one simulated userId in {@code --ack} mode, across its
 * connections: drops redelivered seqs (at or below the last one processed), sees gaps (a seq jump), and says what to
 * acknowledge. The load tester processes each message synchronously on the connection's loop, so "received" and
 * "processed" are the same point; acks are coalesced to one per read batch.
 *
 * <p>Not thread-safe: confined to the event loop of the userId's connections (reconnects stay on it).
 */
final class AckTracker {

    /** No seq known. */
    static final long NONE = -1;

    private long lastProcessed = NONE;
    private long highestOnConnection = NONE;
    private long ackedOnConnection = NONE;

    /** The {@code since} of the next connection, {@link #NONE} before anything was processed. */
    long since() {
        return lastProcessed;
    }

    /** A connection opened with {@code since} (or {@link #NONE}): acks on it start from there. */
    void connectionOpened(long since) {
        highestOnConnection = since;
        ackedOnConnection = since;
    }

    /**
     * Records the arrival of {@code seq}: {@code -1} if it was processed already (drop it), else how many seqs were
     * skipped before it (0 when it is the next one, or the first this tracker sees).
     */
    long arrived(long seq) {
        if (seq > highestOnConnection) {
            highestOnConnection = seq;
        }
        if (lastProcessed != NONE && seq <= lastProcessed) {
            return -1;
        }
        final long skipped = lastProcessed == NONE ? 0 : seq - lastProcessed - 1;
        lastProcessed = seq;
        return skipped;
    }

    /**
     * The seq to acknowledge now, or {@link #NONE}. Never above what this connection received: the gateway refuses an
     * ack above the last seq it sent on the connection.
     */
    long ackDue() {
        final long upTo = Math.min(lastProcessed, highestOnConnection);
        if (upTo > ackedOnConnection) {
            ackedOnConnection = upTo;
            return upTo;
        }
        return NONE;
    }

    /** Parses a wire seq; {@link #NONE} if absent or not a decimal number. */
    static long parse(String seq) {
        return EnvelopeValidator.seq(seq);
    }
}
