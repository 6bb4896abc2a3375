package io.switchboard.protocol;

/** The message types of {@code PROTOCOL.md} §3, each with its exact wire name. */
public enum MessageType {
    /** A user asks to be paired with an agent; the server answers both sides with {@code match}. */
    MATCH("match"),
    /** A chat message between a paired user and agent. */
    NORMAL("normal"),
    /** Server to client: the outcome of a {@code normal} (or push) the client sent. */
    RECEIPT("receipt"),
    /** Application-level keep-alive from the client. */
    PING("ping"),
    /** The server's answer to {@code ping}. */
    PONG("pong"),
    /** Ends a conversation; the server tells the other side. */
    LEAVE("leave"),
    /** Server to client: the input was not a valid message. */
    ERROR("error"),
    /** Client to server on an acknowledging connection: every delivery up to {@code msg} (a seq) was processed. */
    ACK("ack"),
    /** Server to an acknowledging sender: the recipient acknowledged its {@code normal} (end to end, "✓✓"). */
    DELIVERED("delivered"),
    /** An agent sets its availability ({@code available}, {@code away}); the answer has the same type. §6. */
    STATUS("status"),
    /** Server to a waiting user: its position in the waiting queue ({@code msg}, 1 = next). §6. */
    QUEUE("queue"),
    /** An agent hands its user ({@code to}) to another agent ({@code msg}, empty: any); the answer too. §6. */
    TRANSFER("transfer"),
    /** Either side of a pair is typing; relayed live to the peer, never held. §6. */
    TYPING("typing"),
    /** The recipient has read up to a message ({@code msg} = its msgId); relayed to the peer. §6. */
    READ("read"),
    /** A request for the conversation's last messages, and each message of the answer. §6. */
    HISTORY("history");

    private final String wireName;

    MessageType(String wireName) {
        this.wireName = wireName;
    }

    /** The exact name on the wire, e.g. {@code "normal"}. */
    public String wireName() {
        return wireName;
    }

    /**
     * Looks a wire name up; {@code null} for an unknown or absent name. Comparison is exact (case-sensitive),
     * as the contract spells the names.
     */
    public static MessageType fromWire(String name) {
        if (name == null) {
            return null;
        }
        switch (name) {
            case "match": return MATCH;
            case "normal": return NORMAL;
            case "receipt": return RECEIPT;
            case "ping": return PING;
            case "pong": return PONG;
            case "leave": return LEAVE;
            case "error": return ERROR;
            case "ack": return ACK;
            case "delivered": return DELIVERED;
            case "status": return STATUS;
            case "queue": return QUEUE;
            case "transfer": return TRANSFER;
            case "typing": return TYPING;
            case "read": return READ;
            case "history": return HISTORY;
            default: return null;
        }
    }
}
