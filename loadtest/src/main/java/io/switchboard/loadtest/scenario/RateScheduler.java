package io.switchboard.loadtest.scenario;

/**
 * The open-loop send schedule: {@code totalPerSecond} messages per second spread evenly over {@code users} users.
 * Message {@code seq} of user {@code u} is due at {@code (seq × users + u) / totalPerSecond} seconds after the
 * start, so the users' streams interleave into one evenly spaced stream at the total rate, and each user sends
 * every {@code users / totalPerSecond} seconds.
 *
 * <p>Times are computed from the indices, never accumulated, so the schedule does not drift over long runs. Latency
 * measured from these intended times is free of coordinated omission: a sender that falls behind still charges
 * the wait to the server. Immutable and thread-safe.
 */
public final class RateScheduler {

    private final double totalPerSecond;
    private final int users;
    private final double nanosPerSlot;

    /**
     * @param totalPerSecond total messages per second over all users (> 0)
     * @param users          number of users sharing the rate (> 0); user indices are {@code 0..users-1}
     */
    public RateScheduler(double totalPerSecond, int users) {
        if (!(totalPerSecond > 0) || Double.isInfinite(totalPerSecond)) {
            throw new IllegalArgumentException("totalPerSecond: " + totalPerSecond + " (expected > 0)");
        }
        if (users <= 0) {
            throw new IllegalArgumentException("users: " + users + " (expected > 0)");
        }
        this.totalPerSecond = totalPerSecond;
        this.users = users;
        nanosPerSlot = 1e9 / totalPerSecond;
    }

    /** The intended send time of message {@code seq} (0-based) of user {@code user}, relative to the start. */
    public long offsetNanos(int user, long seq) {
        if (user < 0 || user >= users) {
            throw new IllegalArgumentException("user: " + user + " (expected 0.." + (users - 1) + ')');
        }
        if (seq < 0) {
            throw new IllegalArgumentException("seq: " + seq + " (expected >= 0)");
        }
        final double slot = (double) seq * users + user;
        return (long) (slot * 1e9 / totalPerSecond);
    }

    /** How many messages user {@code user} sends with an intended time before {@code windowNanos}. */
    public long messagesBefore(int user, long windowNanos) {
        if (windowNanos <= 0) {
            return 0;
        }
        // The slots strictly before the window, then the ones of this user: slot = seq × users + user.
        long slots = (long) Math.ceil(windowNanos / nanosPerSlot);
        while (slots > 0 && offsetOfSlot(slots - 1) >= windowNanos) {
            slots--;
        }
        while (offsetOfSlot(slots) < windowNanos) {
            slots++;
        }
        return slots <= user ? 0 : (slots - 1 - user) / users + 1;
    }

    /** The interval between two messages of one user. */
    public long perUserIntervalNanos() {
        return (long) (users * nanosPerSlot);
    }

    public double totalPerSecond() {
        return totalPerSecond;
    }

    public int users() {
        return users;
    }

    private long offsetOfSlot(long slot) {
        return (long) ((double) slot * 1e9 / totalPerSecond);
    }
}
