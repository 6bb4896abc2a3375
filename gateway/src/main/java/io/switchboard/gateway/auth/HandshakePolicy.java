package io.switchboard.gateway.auth;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * What the handshake guard checks besides the WebSocket rules: the token (when {@code verifier} is not
 * {@code null}), the browser {@code Origin} (when {@code allowedOrigins} is not empty) and the userIds reserved by
 * configuration. Immutable.
 *
 * @param verifier        verifies the token; {@code null}: authentication off, the role comes from {@code ?role=}
 * @param allowedOrigins  exact origins ({@code https://chat.example.com}) allowed to connect; empty allows any
 * @param reservedUserIds userIds refused (400) besides {@code system} and {@code *}, which are always reserved
 */
public record HandshakePolicy(TokenVerifier verifier, Set<String> allowedOrigins, Set<String> reservedUserIds) {

    /** No token, any origin: local development. */
    public static final HandshakePolicy OPEN = new HandshakePolicy(null, Set.of());

    public HandshakePolicy {
        allowedOrigins = Set.copyOf(requireNonNull(allowedOrigins, "allowedOrigins"));
        reservedUserIds = Set.copyOf(requireNonNull(reservedUserIds, "reservedUserIds"));
    }

    /** A policy with no configured reserved userIds. */
    public HandshakePolicy(TokenVerifier verifier, Set<String> allowedOrigins) {
        this(verifier, allowedOrigins, Set.of());
    }

    /** Whether the configuration reserves {@code userId} (besides {@code system} and {@code *}). */
    public boolean reserved(String userId) {
        return reservedUserIds.contains(userId);
    }

    /**
     * Whether a request with this {@code Origin} header may connect. A request without one is not from a browser
     * (browsers always send it on a WebSocket upgrade, RFC 6455 §4.1) and is left to the token check.
     */
    public boolean originAllowed(String origin) {
        return origin == null || allowedOrigins.isEmpty() || allowedOrigins.contains(origin);
    }
}
