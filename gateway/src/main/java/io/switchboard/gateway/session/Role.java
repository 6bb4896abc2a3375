package io.switchboard.gateway.session;

import java.util.Locale;

/** Who is on the other end of a connection ({@code PROTOCOL.md} §1). */
public enum Role {
    /** A customer; the one who sends {@code match}. */
    USER,
    /** A customer-service representative, matched with users up to its capacity. */
    AGENT;

    /** The role's name in a query string, a token claim or an API body: {@code user} or {@code agent}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code user}/{@code agent} (case-insensitive); {@code null} for anything else. */
    public static Role fromWire(String name) {
        if ("user".equalsIgnoreCase(name)) {
            return USER;
        }
        if ("agent".equalsIgnoreCase(name)) {
            return AGENT;
        }
        return null;
    }
}
