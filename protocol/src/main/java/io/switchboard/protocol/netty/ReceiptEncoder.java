package io.switchboard.protocol.netty;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.MessageType;
import java.nio.charset.StandardCharsets;

/**
 * Writes the JSON of a successful receipt (the answer to every routed message) from pre-encoded constant parts: only
 * its {@code msgId}, {@code timestamp} and {@code to} are encoded per receipt, with Jackson's own string quoting
 * ({@link JsonStringEncoder}), so the bytes are exactly what {@link io.switchboard.protocol.json.EnvelopeJson} writes
 * (fields in alphabetical order, nulls left out, non-ASCII as raw UTF-8); {@code ReceiptEncoderTest} holds it to that.
 * Any other envelope, or a receipt with a string holding a UTF-16 surrogate (an emoji, whose combined 4-byte form
 * Jackson's generator owns), is left to Jackson. Stateless and thread-safe.
 */
final class ReceiptEncoder {

    private static final String RECEIPT = MessageType.RECEIPT.wireName();
    private static final byte[] PUSH_SUCCESS = head(Envelopes.PUSH_SUCCESS);
    private static final byte[] STORED_OFFLINE = head(Envelopes.STORED_OFFLINE);
    private static final byte[] TIMESTAMP = ascii("\",\"timestamp\":\"");
    private static final byte[] TO = ascii("\",\"to\":\"");
    private static final byte[] TAIL = ascii("\",\"type\":\"" + RECEIPT + "\"}");

    private ReceiptEncoder() {}

    /** {@code {"code":"0","from":"system","msg":"<msg>","msgId":"}: everything up to the first value that varies. */
    private static byte[] head(String msg) {
        return ascii("{\"code\":\"" + Envelopes.CODE_OK + "\",\"from\":\"" + Envelopes.SYSTEM + "\",\"msg\":\"" + msg
                     + "\",\"msgId\":\"");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes {@code envelope} to {@code out} if it is a successful receipt of the usual shape and returns
     * {@code true}; else writes nothing and returns {@code false}.
     */
    static boolean write(Envelope envelope, ByteBuf out) {
        final byte[] head = head(envelope);
        if (head == null) {
            return false;
        }
        out.writeBytes(head);
        quote(envelope.msgId(), out);
        out.writeBytes(TIMESTAMP);
        quote(envelope.timestamp(), out);
        if (envelope.to() != null) {
            out.writeBytes(TO);
            quote(envelope.to(), out);
        }
        out.writeBytes(TAIL);
        return true;
    }

    /** The pre-encoded head for {@code envelope}, or {@code null} if it is not a receipt this class writes. */
    private static byte[] head(Envelope envelope) {
        if (!RECEIPT.equals(envelope.type()) || !Envelopes.CODE_OK.equals(envelope.code())
            || !Envelopes.SYSTEM.equals(envelope.from()) || envelope.reason() != null || envelope.seq() != null
            || envelope.msgId() == null || envelope.timestamp() == null
            || hasSurrogate(envelope.msgId()) || hasSurrogate(envelope.timestamp())
            || envelope.to() != null && hasSurrogate(envelope.to())) {
            return null;
        }
        if (Envelopes.PUSH_SUCCESS.equals(envelope.msg())) {
            return PUSH_SUCCESS;
        }
        return Envelopes.STORED_OFFLINE.equals(envelope.msg()) ? STORED_OFFLINE : null;
    }

    private static boolean hasSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** The string's JSON-quoted UTF-8, as Jackson writes it; plain ASCII (the usual msgId) without a copy. */
    private static void quote(String s, ByteBuf out) {
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                out.writeBytes(JsonStringEncoder.getInstance().quoteAsUTF8(s));
                return;
            }
        }
        out.writeCharSequence(s, StandardCharsets.US_ASCII);
    }
}
