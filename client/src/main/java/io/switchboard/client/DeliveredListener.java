package io.switchboard.client;

import io.switchboard.protocol.Envelope;

/**
 * Receives {@code delivered} notices ({@code PROTOCOL.md} §5): the recipient of one of this client's {@code normal}
 * messages acknowledged it, which is the end-to-end confirmation ("✓✓") a receipt cannot give. Only sent when the
 * recipient is an acknowledging connection too.
 *
 * <p>Called like {@link MessageHandler}: on the handler executor, in seq order with the messages, each notice once,
 * acknowledged after it returns.
 */
@FunctionalInterface
public interface DeliveredListener {

    /**
     * @param msgId        the {@code msgId} of this client's message (as returned by the receipt of
     *                     {@link SwitchboardClient#send})
     * @param recipient    the userId that acknowledged it
     * @param recipientSeq the seq the message had in the recipient's sequence
     * @param notice       the whole {@code delivered} envelope
     */
    void onDelivered(String msgId, String recipient, String recipientSeq, Envelope notice);
}
