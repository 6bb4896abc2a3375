/**
 * Integration tests of issue #16, "strict at every edge, secure by default": each finding of the attacker's probes
 * (client errors in the log, lax API JSON, pipelining after {@code Connection: close}, identity rules, relaxed
 * defaults, the capacity guard, JWT claims, page headers) is a regression test here, on real sockets.
 */
package io.switchboard.gateway.security;
