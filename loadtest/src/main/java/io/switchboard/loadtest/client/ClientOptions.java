package io.switchboard.loadtest.client;

import static java.util.Objects.requireNonNull;

import io.netty.handler.ssl.SslContext;
import io.switchboard.protocol.json.EnvelopeJson;
import java.time.Duration;

/**
 * Immutable settings of the WebSocket client, shared by every connection of a process.
 *
 * @param connectTimeout   TCP connect timeout
 * @param handshakeTimeout time allowed for the HTTP upgrade after the TCP connect
 * @param maxMessageBytes  largest inbound message accepted, after reassembling fragments
 * @param json             the shared JSON codec
 * @param tls              the TLS client context of {@code wss://} connections (what they trust); {@code null} when
 *                         the run is plain {@code ws://}
 */
public record ClientOptions(Duration connectTimeout, Duration handshakeTimeout, int maxMessageBytes,
                            EnvelopeJson json, SslContext tls) {

    /** 10 s: generous, so that a slow accept queue shows up as latency, not as failures. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** 10 s. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** 64 KiB, the gateway's default limit ({@code PROTOCOL.md} §1). */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

    public ClientOptions {
        requireNonNull(connectTimeout, "connectTimeout");
        requireNonNull(handshakeTimeout, "handshakeTimeout");
        requireNonNull(json, "json");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected > 0)");
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout: " + handshakeTimeout + " (expected > 0)");
        }
        if (maxMessageBytes < 128) {
            throw new IllegalArgumentException("maxMessageBytes: " + maxMessageBytes + " (expected >= 128)");
        }
    }

    /** The defaults above with a fresh {@link EnvelopeJson}, for {@code ws://}. */
    public static ClientOptions defaults() {
        return defaults(null);
    }

    /** The defaults above with a fresh {@link EnvelopeJson} and {@code tls} for {@code wss://} ({@code null}: none). */
    public static ClientOptions defaults(SslContext tls) {
        return new ClientOptions(DEFAULT_CONNECT_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_MESSAGE_BYTES,
                EnvelopeJson.create(), tls);
    }
}
