package io.switchboard.protocol;

/**
 * Every failure the server reports ({@code code} "1"): the {@code reason} name and the exact {@code msg} text.
 * The texts marked exact in {@code PROTOCOL.md} §3 are fixed; existing clients compare them literally.
 */
public enum Failure {
    /** {@code normal} without a {@code msg}, or an empty one. Exact text. */
    EMPTY_MSG("消息内容为空"),
    /** {@code to} missing, or not the sender's paired peer. Exact text. */
    NOT_PAIRED("未与对方建立会话"),
    /** {@code msg} longer than the configured limit (default 4096 characters). Exact text. */
    MSG_TOO_LONG("消息内容过长"),
    /** The sender is over its rate limit. Exact text. */
    RATE_LIMITED("发送过于频繁"),
    /** Input that is not a JSON object of strings, or has an unknown {@code type}. Exact text. */
    BAD_MESSAGE("消息格式错误"),
    /** {@code match} with no agent online, or every agent at capacity. Text designed by Switchboard. */
    NO_AGENT("暂无客服在线"),
    /** {@code match} sent by an agent: only users are matched. Text designed by Switchboard. */
    NOT_A_USER("仅用户可发起匹配"),
    /** The gateway cannot serve the request right now (e.g. the shared store is down). Text designed by Switchboard. */
    UNAVAILABLE("服务暂不可用"),
    /** {@code status} from a user: only agents have one. Text designed by Switchboard (§6). */
    NOT_AN_AGENT("仅客服可设置状态"),
    /** {@code status} with a state other than {@code available} or {@code away}. Text designed by Switchboard. */
    UNKNOWN_STATUS("未知状态"),
    /** {@code match} with {@code "queue"} while the waiting queue is at its bound. Text designed by Switchboard. */
    QUEUE_FULL("排队人数已满"),
    /** A queued user waited past the queue's time limit. Text designed by Switchboard. */
    QUEUE_TIMEOUT("排队超时"),
    /** {@code transfer} to an agent that is not connected, is away, or is the sender. Text designed by Switchboard. */
    UNKNOWN_AGENT("目标客服不在线");

    private final String text;

    Failure(String text) {
        this.text = text;
    }

    /** The stable machine-readable name sent as {@code reason}. */
    public String reason() {
        return name();
    }

    /** The human-readable text sent as {@code msg}. */
    public String text() {
        return text;
    }
}
