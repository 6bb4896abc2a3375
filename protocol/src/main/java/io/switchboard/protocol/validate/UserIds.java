package io.switchboard.protocol.validate;

import java.util.Set;

/**
 * The userId rule of {@code PROTOCOL.md} §1: 1..128 characters (Unicode code points) after percent-decoding, with
 * no {@code /}, no whitespace and no control characters; and not one of the {@link #RESERVED} ids the gateway
 * itself writes in {@code from} and {@code to}.
 */
public final class UserIds {

    /** The longest userId, in code points. */
    public static final int MAX_CHARS = 128;
    /**
     * Ids no client may have: {@code system} is the {@code from} of everything the gateway itself sends, and
     * {@code *} the {@code to} of a push to many; a user or agent with either id would be indistinguishable.
     */
    public static final Set<String> RESERVED = Set.of("system", "*");

    private UserIds() {}

    /**
     * Why {@code userId} is not acceptable, or {@code null} when it is. The text is safe to send back to the client
     * (it never echoes the id itself).
     */
    public static String problem(String userId) {
        if (userId == null || userId.isEmpty()) {
            return "userId is empty";
        }
        if (RESERVED.contains(userId)) {
            return "userId is reserved";
        }
        int count = 0;
        for (int i = 0; i < userId.length(); ) {
            final int cp = userId.codePointAt(i);
            if (cp == '/') {
                return "userId contains '/'";
            }
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                return "userId contains whitespace";
            }
            if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                    || Character.getType(cp) == Character.SURROGATE) {
                return "userId contains a control character";
            }
            if (++count > MAX_CHARS) {
                return "userId is longer than " + MAX_CHARS + " characters";
            }
            i += Character.charCount(cp);
        }
        return null;
    }
}
