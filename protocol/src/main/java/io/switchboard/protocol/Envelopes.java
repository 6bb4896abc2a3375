package io.switchboard.protocol;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds server-to-client envelopes: stamps {@code from}, {@code code}, {@code timestamp} and, where the client gave
 * none, a server {@code msgId}, so that every outgoing message carries all the fields {@code PROTOCOL.md} §2 promises.
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class Envelopes {

    /** {@code code} of a success. */
    public static final String CODE_OK = "0";
    /** {@code code} of a failure. */
    public static final String CODE_FAILED = "1";
    /** {@code from} of every message the gateway itself originates. */
    public static final String SYSTEM = "system";
    /** Receipt text when the peer got the message live. */
    public static final String PUSH_SUCCESS = "push success";
    /** Receipt text when the peer was offline and the message is held for it. */
    public static final String STORED_OFFLINE = "stored offline";

    private final Clock clock;
    private final String idPrefix;
    private final AtomicLong ids = new AtomicLong();

    /**
     * @param clock the source of {@code timestamp}
     */
    public Envelopes(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
        // A random prefix keeps server ids distinct across restarts and nodes without coordination.
        idPrefix = "s" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 24, 36) + '-';
    }

    /** Envelopes stamped with the system clock. */
    public static Envelopes systemClock() {
        return new Envelopes(Clock.systemUTC());
    }

    /** Current server time as the wire wants it: epoch milliseconds as a string. */
    public String now() {
        return Long.toString(clock.millis());
    }

    /** The client's {@code msgId} if it gave one, else a fresh server id. */
    public String msgIdOr(String clientMsgId) {
        return clientMsgId != null ? clientMsgId : idPrefix + Long.toString(ids.incrementAndGet(), 36);
    }

    /** A {@code normal} message as delivered to its recipient; {@code from} is the sender's verified userId. */
    public Envelope delivery(String msgId, String from, String to, String msg) {
        return new Envelope(MessageType.NORMAL.wireName(), msgIdOr(msgId), from, to, msg, CODE_OK, now(), null);
    }

    /** A server-originated message of any type (used by the push API). */
    public Envelope push(String type, String msgId, String from, String to, String msg) {
        return new Envelope(type, msgIdOr(msgId), from, to, msg, CODE_OK, now(), null);
    }

    /** A successful receipt, {@code msg} being {@link #PUSH_SUCCESS} or {@link #STORED_OFFLINE}. */
    public Envelope receipt(String msgId, String to, String msg) {
        return new Envelope(MessageType.RECEIPT.wireName(), msgIdOr(msgId), SYSTEM, to, msg, CODE_OK, now(), null);
    }

    /** A failed receipt: nothing was delivered. */
    public Envelope failedReceipt(String msgId, String to, Failure failure) {
        return failure(MessageType.RECEIPT, msgId, to, failure);
    }

    /** A failure answer of the given type ({@code match} with {@code NO_AGENT}, {@code error}, ...). */
    public Envelope failure(MessageType type, String msgId, String to, Failure failure) {
        return new Envelope(type.wireName(), msgIdOr(msgId), SYSTEM, to, failure.text(), CODE_FAILED, now(),
                failure.reason());
    }

    /** The {@code error} answer to input that is not a valid message ({@code BAD_MESSAGE}). */
    public Envelope badMessage(String msgId, String to) {
        return failure(MessageType.ERROR, msgId, to, Failure.BAD_MESSAGE);
    }

    /** A successful {@code match} notice to {@code to}, naming its new peer in {@code msg}. */
    public Envelope matched(String msgId, String to, String peerId) {
        return new Envelope(MessageType.MATCH.wireName(), msgIdOr(msgId), SYSTEM, to, peerId, CODE_OK, now(), null);
    }

    /** A {@code leave} notice to {@code to}: {@code whoLeft} ended the conversation. */
    public Envelope leave(String msgId, String to, String whoLeft) {
        return new Envelope(MessageType.LEAVE.wireName(), msgIdOr(msgId), SYSTEM, to, whoLeft, CODE_OK, now(), null);
    }

    /**
     * A {@code delivered} notice ({@code PROTOCOL.md} §5) to {@code sender}: {@code recipient} acknowledged the
     * {@code normal} the sender sent as {@code msgId}, which it had as {@code recipientSeq}.
     */
    public Envelope delivered(String msgId, String recipient, String sender, long recipientSeq) {
        return new Envelope(MessageType.DELIVERED.wireName(), msgId, recipient, sender, Long.toString(recipientSeq),
                            CODE_OK, now(), null);
    }

    /** The {@code pong} answer to an application {@code ping}. */
    public Envelope pong(String msgId, String to) {
        return new Envelope(MessageType.PONG.wireName(), msgIdOr(msgId), SYSTEM, to, "pong", CODE_OK, now(), null);
    }

    /** A successful answer of {@code type} to {@code to} ({@code status}, {@code transfer}: §6). */
    public Envelope answer(MessageType type, String msgId, String to, String msg) {
        return new Envelope(type.wireName(), msgIdOr(msgId), SYSTEM, to, msg, CODE_OK, now(), null);
    }

    /** A {@code queue} notice to a waiting user: its {@code position} (1 = next). §6. */
    public Envelope queued(String msgId, String to, int position) {
        return answer(MessageType.QUEUE, msgId, to, Integer.toString(position));
    }

    /** A notice {@code from} a peer to {@code to} ({@code typing}, {@code read}: §6); {@code msg} may be empty. */
    public Envelope relay(MessageType type, String from, String to, String msg) {
        return new Envelope(type.wireName(), msgIdOr(null), from, to, msg == null ? "" : msg, CODE_OK, now(), null);
    }

    /** A {@code history} entry: a {@code normal} of the conversation as it was sent (§6). */
    public Envelope historyEntry(Envelope normal) {
        return new Envelope(MessageType.HISTORY.wireName(), normal.msgId(), normal.from(), normal.to(), normal.msg(),
                            CODE_OK, normal.timestamp(), null);
    }
}
