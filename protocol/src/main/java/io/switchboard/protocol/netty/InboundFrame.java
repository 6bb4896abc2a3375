package io.switchboard.protocol.netty;

import static java.util.Objects.requireNonNull;

import io.switchboard.protocol.Envelope;

/**
 * What {@link EnvelopeFrameCodec} makes of one inbound text message: an {@link Envelope}, or the reason it is not
 * one. Malformed input is a value rather than an exception, the way Netty's HTTP codec sets a failed
 * {@code DecoderResult}, so the receiver can answer with {@code error} and keep the connection.
 */
public final class InboundFrame {

    private final Envelope envelope;
    private final String problem;

    private InboundFrame(Envelope envelope, String problem) {
        this.envelope = envelope;
        this.problem = problem;
    }

    /** A well-formed envelope. */
    public static InboundFrame of(Envelope envelope) {
        return new InboundFrame(requireNonNull(envelope, "envelope"), null);
    }

    /** Input that is not a valid envelope; {@code problem} says why without echoing the input. */
    public static InboundFrame malformed(String problem) {
        return new InboundFrame(null, requireNonNull(problem, "problem"));
    }

    /** Whether the input was a well-formed envelope. */
    public boolean isValid() {
        return envelope != null;
    }

    /** The envelope; {@code null} when {@link #isValid()} is false. */
    public Envelope envelope() {
        return envelope;
    }

    /** Why the input was rejected; {@code null} when {@link #isValid()} is true. */
    public String problem() {
        return problem;
    }

    @Override
    public String toString() {
        return isValid() ? "InboundFrame(" + envelope.type() + ')' : "InboundFrame(malformed: " + problem + ')';
    }
}
