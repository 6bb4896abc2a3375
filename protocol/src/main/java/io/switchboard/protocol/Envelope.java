package io.switchboard.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One protocol message, client to server or server to client. Every field is a string on the wire
 * ({@code PROTOCOL.md} §2); {@code null} means "absent" and is never written.
 *
 * <p>Server-to-client envelopes always carry {@code type}, {@code msgId}, {@code from}, {@code to}, {@code msg},
 * {@code code} and {@code timestamp}; failures ({@code code} "1") also carry {@code reason}. Build them with
 * {@link Envelopes}, which guarantees that.
 *
 * @param type      the message type's wire name, see {@link MessageType}
 * @param msgId     the client's message id (1..64 chars) or a server-generated one
 * @param from      the sender; stamped by the server, ignored when a client sends it
 * @param to        the recipient userId, or {@code system}
 * @param msg       the payload text
 * @param code      {@code "0"} success, {@code "1"} failure (server to client only)
 * @param timestamp server time in epoch milliseconds (server to client only)
 * @param reason    a stable machine-readable failure name, see {@link Failure} (failures only)
 * @param seq       the recipient's delivery sequence number, on messages pushed to an acknowledging
 *                  ({@code ?ack=1}) connection only ({@code PROTOCOL.md} §5)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder(alphabetic = true)
public record Envelope(String type, String msgId, String from, String to, String msg, String code, String timestamp,
                       String reason, String seq) {

    /** An envelope without {@code seq}: every message of protocol version 1. */
    public Envelope(String type, String msgId, String from, String to, String msg, String code, String timestamp,
                    String reason) {
        this(type, msgId, from, to, msg, code, timestamp, reason, null);
    }

    /** A client-side envelope: what a client puts on the wire. */
    public static Envelope client(String type, String msgId, String to, String msg) {
        return new Envelope(type, msgId, null, to, msg, null, null, null);
    }

    /** This envelope carrying {@code seq} (or none, for {@code null}), every other field unchanged. */
    public Envelope withSeq(String seq) {
        return new Envelope(type, msgId, from, to, msg, code, timestamp, reason, seq);
    }

    /** Whether this is a server success ({@code code} "0"). Not a wire field: every wire field is a string. */
    @JsonIgnore
    public boolean isSuccess() {
        return Envelopes.CODE_OK.equals(code);
    }
}
