package io.switchboard.protocol.netty;

import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

/**
 * Every WebSocket close status the gateway sends ({@code PROTOCOL.md} §1, RFC 6455 §7.4). Netty's constants where
 * RFC 6455 defines the code; the 4000-range codes are Switchboard's.
 */
public final class CloseCodes {

    /** 1000: the conversation is over, e.g. the client closed. */
    public static final WebSocketCloseStatus NORMAL = WebSocketCloseStatus.NORMAL_CLOSURE;
    /** 1001: idle timeout, or the gateway is shutting down. */
    public static final WebSocketCloseStatus GOING_AWAY = WebSocketCloseStatus.ENDPOINT_UNAVAILABLE;
    /** 1002: a WebSocket protocol violation (unmasked frame, bad control frame, reserved bits or opcodes). */
    public static final WebSocketCloseStatus PROTOCOL_ERROR = WebSocketCloseStatus.PROTOCOL_ERROR;
    /** 1003: a binary frame; the protocol is text only. */
    public static final WebSocketCloseStatus UNSUPPORTED_DATA = WebSocketCloseStatus.INVALID_MESSAGE_TYPE;
    /** 1007: a text message that is not valid UTF-8. */
    public static final WebSocketCloseStatus INVALID_UTF8 = WebSocketCloseStatus.INVALID_PAYLOAD_DATA;
    /** 1008: the client kept sending malformed messages. */
    public static final WebSocketCloseStatus POLICY_VIOLATION = WebSocketCloseStatus.POLICY_VIOLATION;
    /** 1009: a message over the size limit (after reassembling fragments). */
    public static final WebSocketCloseStatus MESSAGE_TOO_BIG = WebSocketCloseStatus.MESSAGE_TOO_BIG;
    /** 1011: an unexpected server error on this connection. */
    public static final WebSocketCloseStatus INTERNAL_ERROR = WebSocketCloseStatus.INTERNAL_SERVER_ERROR;
    /** 1013: the client reads too slowly; the gateway will not buffer for it any longer. */
    public static final WebSocketCloseStatus TRY_AGAIN_LATER = WebSocketCloseStatus.TRY_AGAIN_LATER;
    /** 4001: a newer connection for the same userId replaced this one. */
    public static final WebSocketCloseStatus REPLACED = new WebSocketCloseStatus(4001, "replaced");
    /** 4003: a backend disconnected this user through the server-side API. */
    public static final WebSocketCloseStatus KICKED = new WebSocketCloseStatus(4003, "disconnected by server");

    private CloseCodes() {}

    /**
     * Whether a peer may send {@code code} in a close frame: RFC 6455 §7.4 defines 1000–1003 and 1007–1011, the IANA
     * registry adds 1012–1014, and 3000–4999 are for libraries and applications. Anything else (0–999, 1004–1006,
     * 1015 and the rest of 1000–2999, 5000 and above) is a protocol error, answered with 1002.
     */
    public static boolean isValidFromPeer(int code) {
        return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
    }
}
