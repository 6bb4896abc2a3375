package io.switchboard.gateway.testing;

import io.netty.handler.codec.http.HttpHeaders;

/** The server answered a WebSocket upgrade with something other than 101; carries its status and headers. */
public final class HandshakeRejected extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient HttpHeaders headers;

    public HandshakeRejected(int status, HttpHeaders headers) {
        super("WebSocket upgrade rejected with HTTP " + status);
        this.status = status;
        this.headers = headers;
    }

    /** The HTTP status code of the refusal, e.g. 400. */
    public int status() {
        return status;
    }

    /** The response headers of the refusal. */
    public HttpHeaders headers() {
        return headers;
    }
}
