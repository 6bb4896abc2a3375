package io.switchboard.gateway.pipeline;

import io.netty.util.AttributeKey;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Session;

/** Per-connection data that more than one handler needs, as typed channel attributes. */
final class SessionAttributes {
    /** Set by the handshake guard before the upgrade. */
    static final AttributeKey<ConnectionIdentity> IDENTITY = AttributeKey.valueOf("switchboard.identity");
    /** Set by the session handler once the upgrade completed. */
    static final AttributeKey<Session> SESSION = AttributeKey.valueOf("switchboard.session");

    /**
     * Set by {@link ConnectionLimitHandler} on a connection accepted into the reserve above {@code max-connections}:
     * it may ask for {@code /healthz} and the like, but its upgrade is refused (503).
     */
    static final AttributeKey<Boolean> OVER_CAPACITY = AttributeKey.valueOf("switchboard.over-capacity");

    private SessionAttributes() {}
}
