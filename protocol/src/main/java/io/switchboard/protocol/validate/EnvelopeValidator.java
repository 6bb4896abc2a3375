package io.switchboard.protocol.validate;

import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.MessageType;

/**
 * Checks client-to-server envelopes against {@code PROTOCOL.md} §2 and §3. Stateless and thread-safe.
 *
 * <p>The gateway checks in this order, so a message that breaks several rules gets one predictable answer:
 * {@link #clientType} (unknown type or bad {@code msgId}: {@code error}/{@code BAD_MESSAGE}), then for
 * {@code normal} {@link #checkNormal}: {@code EMPTY_MSG}, then {@code MSG_TOO_LONG}, then a missing {@code to}
 * ({@code NOT_PAIRED}). Whether {@code to} is the sender's peer is the gateway's to check.
 */
public final class EnvelopeValidator {

    /** The longest {@code msgId} a client may send. */
    public static final int MAX_MSG_ID_CHARS = 64;

    private final int maxMessageChars;

    /**
     * @param maxMessageChars the longest {@code msg} of a {@code normal}, in Unicode code points
     */
    public EnvelopeValidator(int maxMessageChars) {
        if (maxMessageChars <= 0) {
            throw new IllegalArgumentException("maxMessageChars: " + maxMessageChars + " (expected: > 0)");
        }
        this.maxMessageChars = maxMessageChars;
    }

    /**
     * The type of a message a client may send ({@code match}, {@code normal}, {@code ping}, {@code leave},
     * {@code ack}, which only an acknowledging connection may send, and the §6 requests {@code status},
     * {@code transfer}, {@code typing}, {@code read} and {@code history}), or
     * {@code null} when the message is malformed: missing or unknown {@code type}, a server-only type, or a
     * {@code msgId} outside 1..64 characters (code points).
     */
    public MessageType clientType(Envelope envelope) {
        final String msgId = envelope.msgId();
        if (msgId != null && (msgId.isEmpty()
                || msgId.length() > MAX_MSG_ID_CHARS && msgId.codePointCount(0, msgId.length()) > MAX_MSG_ID_CHARS)) {
            return null;
        }
        final MessageType type = MessageType.fromWire(envelope.type());
        if (type == null) {
            return null;
        }
        switch (type) {
            case MATCH:
            case NORMAL:
            case PING:
            case LEAVE:
            case ACK:
            case STATUS:
            case TRANSFER:
            case TYPING:
            case READ:
            case HISTORY:
                return type;
            default:
                return null;
        }
    }

    /**
     * The seq an {@code ack} acknowledges ({@code PROTOCOL.md} §5): its {@code msg} as a {@link #seq}, or -1 if it is
     * not one (answer {@code error}/{@code BAD_MESSAGE}). Whether it is above the last seq sent is the gateway's to
     * check.
     */
    public static long ackedSeq(Envelope ack) {
        return seq(ack.msg());
    }

    /**
     * A seq as the wire writes it ({@code PROTOCOL.md} §5: a {@code seq} field, an {@code ack}'s {@code msg},
     * {@code ?since=}): a decimal number of 1 to 18 digits; -1 if {@code text} is absent or not one.
     */
    public static long seq(String text) {
        if (text == null || text.isEmpty() || text.length() > 18) {
            return -1;
        }
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        return Long.parseLong(text);
    }

    /**
     * The content checks of a {@code normal}: {@code null} when it may be routed (subject to pairing and rate
     * limits), else the failure to answer with.
     */
    public Failure checkNormal(Envelope envelope) {
        final String msg = envelope.msg();
        if (msg == null || msg.isEmpty()) {
            return Failure.EMPTY_MSG;
        }
        // Count code points, not UTF-16 units: "4096 characters" means what a person would count.
        if (msg.length() > maxMessageChars && msg.codePointCount(0, msg.length()) > maxMessageChars) {
            return Failure.MSG_TOO_LONG;
        }
        final String to = envelope.to();
        if (to == null || to.isEmpty()) {
            return Failure.NOT_PAIRED;
        }
        return null;
    }

    /** The configured {@code msg} limit, in code points. */
    public int maxMessageChars() {
        return maxMessageChars;
    }
}
