/**
 * A reusable Java client of the Switchboard gateway for backends: {@link io.switchboard.client.SwitchboardClient}
 * holds one userId's acknowledging connection ({@code PROTOCOL.md} §5), reconnects with backoff and {@code since},
 * hands each message to a {@link io.switchboard.client.MessageHandler} once, acknowledges it after the handler
 * returns, and correlates sends with their receipts, resending unanswered ones after a reconnect. It speaks the wire
 * through the same {@code EnvelopeFrameCodec} as the gateway and the load tester; the only public entry point is the
 * client's builder.
 */
package io.switchboard.client;
