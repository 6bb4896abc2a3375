package io.switchboard.loadtest.client;

import static java.util.Objects.requireNonNull;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Opens {@code count} connections at a target rate with jitter, never with more than {@code maxInFlight}
 * handshakes outstanding. A tick on one event loop computes how many connects are due by now
 * ({@code rate × elapsed}); each due connect starts at a random point inside the tick, so connects do not arrive
 * at the server in bursts aligned to the tick. A connect slot is released when its handshake completes or fails.
 *
 * <p>Never blocks: everything runs as tasks on {@code executor}. One instance runs one ramp.
 */
public final class ConnectionRamp {

    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final EventExecutor executor;
    private final double perSecond;
    private final int maxInFlight;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private int count;
    private IntFunction<CompletableFuture<?>> connect;
    private long startNanos;
    private int launched;
    private int inFlight;
    private int finished;
    private ScheduledFuture<?> ticker;

    /**
     * @param executor    the loop that runs the ramp's ticks (any loop of the shared group)
     * @param perSecond   target connects per second (> 0)
     * @param maxInFlight most handshakes outstanding at once (> 0)
     */
    public ConnectionRamp(EventExecutor executor, double perSecond, int maxInFlight) {
        this.executor = requireNonNull(executor, "executor");
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("perSecond: " + perSecond + " (expected > 0)");
        }
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected > 0)");
        }
        this.perSecond = perSecond;
        this.maxInFlight = maxInFlight;
    }

    /**
     * Starts the ramp.
     *
     * @param count   connections to open
     * @param connect starts connection {@code i} (0-based) and returns a future that completes, either way, when
     *                its handshake is over; called on the ramp's loop, must not block
     * @return completes when every connection's handshake is over (successful or not)
     */
    public CompletableFuture<Void> start(int count, IntFunction<CompletableFuture<?>> connect) {
        this.count = count;
        this.connect = requireNonNull(connect, "connect");
        if (count == 0) {
            done.complete(null);
            return done;
        }
        executor.execute(() -> {
            startNanos = System.nanoTime();
            ticker = executor.scheduleAtFixedRate(this::tick, 0, TICK_NANOS, TimeUnit.NANOSECONDS);
        });
        return done;
    }

    /** How many connects have been started so far (approximate when read off the loop). */
    public int launched() {
        return launched;
    }

    private void tick() {
        final double elapsedSeconds = (System.nanoTime() - startNanos) / 1e9;
        final long due = Math.min(count, (long) Math.ceil(elapsedSeconds * perSecond));
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        while (launched < due && inFlight < maxInFlight) {
            final int index = launched++;
            inFlight++;
            executor.schedule(() -> launch(index), random.nextLong(TICK_NANOS), TimeUnit.NANOSECONDS);
        }
        if (launched == count && ticker != null) {
            ticker.cancel(false);
        }
    }

    private void launch(int index) {
        CompletableFuture<?> f;
        try {
            f = connect.apply(index);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((ok, err) -> {
            if (executor.inEventLoop()) {
                release();
            } else {
                executor.execute(this::release);
            }
        });
    }

    private void release() {
        inFlight--;
        if (++finished == count) {
            done.complete(null);
        }
    }
}
