/**
 * The Switchboard load tester: {@link io.switchboard.loadtest.LoadTestMain} (command line, scenarios {@code chat}
 * and {@code connections}), the immutable {@link io.switchboard.loadtest.LoadTestConfig}, the phase runner and the
 * coordinator that forks worker JVMs and merges their results exactly.
 */
package io.switchboard.loadtest;
