/**
 * The load tester's WebSocket client: one shared event-loop group
 * ({@link io.switchboard.loadtest.client.ClientResources}), a pipeline built from Netty's WebSocket client handler
 * and the protocol's {@code EnvelopeFrameCodec} ({@link io.switchboard.loadtest.client.ClientChannelInitializer}), a
 * rate-limited, jittered, bounded connect ramp over several source addresses, and
 * {@link io.switchboard.loadtest.client.ChatClient}, a small blocking-friendly client for tests and tools.
 */
package io.switchboard.loadtest.client;
