package io.switchboard.loadtest.client;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.ClosedChannelException;

/** Turns a connection's failure into a short, stable label for the failure table ("refused", "http-400", ...). */
public final class FailureCauses {

    private FailureCauses() {}

    /** The label of {@code cause}. */
    public static String classify(Throwable cause) {
        if (cause instanceof WebSocketClientHandshakeException) {
            final WebSocketClientHandshakeException e = (WebSocketClientHandshakeException) cause;
            if (e.response() != null) {
                return "http-" + e.response().status().code();
            }
            final String m = String.valueOf(e.getMessage());
            return m.contains("timed out") ? "handshake-timeout" : "handshake";
        }
        if (cause instanceof WebSocketHandshakeException) {
            return "handshake";
        }
        if (cause instanceof ConnectTimeoutException) {
            return "connect-timeout";
        }
        if (cause instanceof BindException) {
            // Usually ephemeral ports exhausted on the source address: add --source addresses.
            return "bind";
        }
        if (cause instanceof NoRouteToHostException) {
            return "no-route";
        }
        if (cause instanceof ConnectException) {
            final String m = String.valueOf(cause.getMessage());
            if (m.contains("refused")) {
                return "refused";
            }
            return m.contains("assign requested address") ? "bind" : "connect";
        }
        if (cause instanceof ClosedChannelException) {
            return "closed";
        }
        if (cause instanceof IOException) {
            final String m = String.valueOf(cause.getMessage());
            if (m.contains("reset")) {
                return "reset";
            }
            if (m.contains("Broken pipe")) {
                return "broken-pipe";
            }
            if (m.contains("assign requested address")) {
                return "bind";
            }
            return "io";
        }
        return "error-" + cause.getClass().getSimpleName();
    }
}
