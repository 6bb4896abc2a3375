package io.switchboard.gateway.pipeline;

/**
 * Names of the handlers in a gateway connection's pipeline, in order.
 * <pre>
 * before the upgrade:
 *   flush-consolidation → http-codec → http-connection → http-aggregator → static-pages → http-endpoints
 *     → handshake-guard → close-status → ws-protocol → ws-aggregator → frame-codec → dispatch
 *     → exceptions
 * after it (Netty's handshaker swaps http-codec for its frame encoder and decoder):
 *   flush-consolidation → wsencoder → wsdecoder
 *     → close-status → ws-protocol → ws-aggregator → frame-codec → dispatch → exceptions
 * </pre>
 * The server channel carries {@link ConnectionLimitHandler} instead (accept-time rejection).
 */
final class HandlerNames {
    static final String FLUSH_CONSOLIDATION = "flush-consolidation";
    static final String HTTP_CODEC = "http-codec";
    static final String HTTP_CONNECTION = "http-connection";
    static final String HTTP_AGGREGATOR = "http-aggregator";
    static final String STATIC_PAGES = "static-pages";
    static final String HTTP_ENDPOINTS = "http-endpoints";
    static final String HANDSHAKE_GUARD = "handshake-guard";
    static final String CLOSE_STATUS = "close-status";
    static final String WS_PROTOCOL = "ws-protocol";
    static final String WS_AGGREGATOR = "ws-aggregator";
    static final String FRAME_CODEC = "frame-codec";
    static final String DISPATCH = "dispatch";
    static final String EXCEPTIONS = "exceptions";

    private HandlerNames() {}
}
