package io.switchboard.protocol.validate;

/**
 * The userId rule of {@code PROTOCOL.md} §1: 1..128 characters (Unicode code points) after percent-decoding, with
 * no {@code /}, no whitespace and no control characters.
 */
public final class UserIds {

    /** The longest userId, in code points. */
    public static final int MAX_CHARS = 128;

    private UserIds() {}

    /**
     * Why {@code userId} is not acceptable, or {@code null} when it is. The text is safe to send back to the client
     * (it never echoes the id itself).
     */
    public static String problem(String userId) {
        if (userId == null || userId.isEmpty()) {
            return "userId is empty";
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
