/**
 * Load scenarios: {@link io.switchboard.loadtest.scenario.ChatScenario} (users match agents and chat at an open-loop
 * rate; every message is sequence-numbered and checked for loss, duplication and reordering) and
 * {@link io.switchboard.loadtest.scenario.ConnectionsScenario} (open, hold and ping many connections). The pure
 * parts, {@link io.switchboard.loadtest.scenario.RateScheduler} and
 * {@link io.switchboard.loadtest.scenario.SequenceTracker}, are unit-tested without sockets.
 */
package io.switchboard.loadtest.scenario;
