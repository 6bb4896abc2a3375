package io.switchboard.gateway.session;

import static java.util.Objects.requireNonNull;

/**
 * Who a connection is, decided before the WebSocket upgrade by the handshake guard: the validated userId and the
 * role. Immutable.
 */
public record ConnectionIdentity(String userId, Role role) {
    public ConnectionIdentity {
        requireNonNull(userId, "userId");
        requireNonNull(role, "role");
    }
}
