package io.switchboard.loadtest.scenario;

/**
 * The text of a load-test chat message: {@code seq|intendedNanos|origin|padding}. {@code seq} is the sender's
 * sequence number, {@code intendedNanos} the open-loop intended send time on the sending process's
 * {@code System.nanoTime()} clock, and {@code origin} the sending process's token, so a receiver measures latency
 * only from a clock it shares. Padding brings the text to the requested size.
 */
public final class Payload {

    private static final char SEP = '|';

    private Payload() {}

    /** The payload of message {@code seq}, at least {@code size} characters long. */
    public static String encode(long seq, long intendedNanos, String origin, int size) {
        final StringBuilder sb = new StringBuilder(Math.max(size, 48));
        sb.append(seq).append(SEP).append(intendedNanos).append(SEP).append(origin).append(SEP);
        while (sb.length() < size) {
            sb.append('x');
        }
        return sb.toString();
    }

    /** The parsed fields of a payload, or {@code null} if {@code text} is not one. */
    public static Payload.Fields decode(String text) {
        if (text == null) {
            return null;
        }
        final int a = text.indexOf(SEP);
        final int b = a < 0 ? -1 : text.indexOf(SEP, a + 1);
        final int c = b < 0 ? -1 : text.indexOf(SEP, b + 1);
        if (c < 0) {
            return null;
        }
        try {
            return new Fields(Long.parseLong(text, 0, a, 10), Long.parseLong(text, a + 1, b, 10),
                    text.substring(b + 1, c));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * @param seq           the sender's sequence number
     * @param intendedNanos the intended send time on the sender's clock
     * @param origin        the sending process's token
     */
    public record Fields(long seq, long intendedNanos, String origin) {}
}
