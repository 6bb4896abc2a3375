/**
 * The Netty adapters of the wire contract, shared by the gateway and the load tester: {@link
 * io.switchboard.protocol.netty.EnvelopeFrameCodec} turns text frames into {@link
 * io.switchboard.protocol.netty.InboundFrame}s and envelopes into text frames, and {@link
 * io.switchboard.protocol.netty.CloseCodes} names every close status. This is the only Netty-aware package of the
 * protocol module and the last place a {@code ByteBuf} is seen inbound.
 */
package io.switchboard.protocol.netty;
