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

    private SessionAttributes() {}
}
