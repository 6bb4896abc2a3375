package io.switchboard.loadtest.report;

import java.time.Duration;

/**
 * Service-level objectives that make the run fail (non-zero exit code) when violated. A {@code null} field is no
 * gate.
 *
 * @param maxP99       highest acceptable p99 of the scenario's primary latency (chat: send→receipt;
 *                     connections: time to establish)
 * @param maxErrorRate highest acceptable errors / (messages sent + connects attempted)
 * @param maxLost      most messages that may be lost (not delivered and not explicitly rejected)
 */
public record SloGates(Duration maxP99, Double maxErrorRate, Long maxLost) {

    /** No gates. */
    public static SloGates none() {
        return new SloGates(null, null, null);
    }
}
