/**
 * The Switchboard wire contract, version 1 ({@code docs/PROTOCOL.md}): the {@link io.switchboard.protocol.Envelope},
 * the {@link io.switchboard.protocol.MessageType message types}, the {@link io.switchboard.protocol.Failure failures}
 * with their exact texts, and {@link io.switchboard.protocol.Envelopes} that builds server messages.
 * Nothing in this package depends on Netty; {@code io.switchboard.protocol.netty} adapts it to WebSocket frames.
 */
package io.switchboard.protocol;
