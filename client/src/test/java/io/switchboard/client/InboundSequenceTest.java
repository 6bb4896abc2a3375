package io.switchboard.client;

import static io.switchboard.client.InboundSequence.Verdict.DISPATCH;
import static io.switchboard.client.InboundSequence.Verdict.DUPLICATE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Redeliveries are dropped by seq, jumps are counted as gaps, and processing drives the resume point. */
class InboundSequenceTest {

    @Test
    void redeliveriesOfDispatchedSeqsAreDroppedEvenBeforeTheyAreProcessed() {
        final InboundSequence s = new InboundSequence(InboundSequence.UNKNOWN);
        assertEquals(DISPATCH, s.arrived(1));
        assertEquals(DISPATCH, s.arrived(2));
        s.processed(1);
        assertEquals(1, s.lastProcessed());
        // 2 is still with the handler: a resend of it must not be dispatched a second time.
        assertEquals(DUPLICATE, s.arrived(2));
        assertEquals(DUPLICATE, s.arrived(1));
        assertEquals(DISPATCH, s.arrived(3));
        assertEquals(2, s.duplicates());
        assertEquals(0, s.gaps());
    }

    @Test
    void aJumpIsAGapButTheFirstSeqOfAFreshClientIsNot() {
        final InboundSequence s = new InboundSequence(InboundSequence.UNKNOWN);
        assertEquals(DISPATCH, s.arrived(7));
        assertEquals(0, s.gaps());
        assertEquals(DISPATCH, s.arrived(10));
        assertEquals(1, s.gaps());
        assertEquals(2, s.missing());
    }

    @Test
    void aResumePointIsProcessedAlready() {
        final InboundSequence s = new InboundSequence(41);
        assertEquals(41, s.lastProcessed());
        assertEquals(DUPLICATE, s.arrived(41));
        assertEquals(DISPATCH, s.arrived(42));
        s.processed(42);
        s.processed(40);
        assertEquals(42, s.lastProcessed());
    }
}
