package io.switchboard.gateway.chat;

import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryMatchServiceTest {

    private final InMemoryMatchService matches = new InMemoryMatchService(2);

    @Test
    void capacityMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new InMemoryMatchService(0));
        assertEquals(2, matches.capacity());
    }

    @Test
    void aUserIsNeverPairedWithItself() {
        // An id still in the pool from an agent connection asks to be matched as a user (#16).
        matches.agentOnline("x");
        assertEquals(MatchResult.NO_AGENT, matches.matchNow("x"));
        matches.agentOnline("y");
        assertEquals("y", matches.matchNow("x").agentId());
        assertEquals(0, matches.loads().get("x"));
        assertEquals(1, matches.loads().get("y"));
        assertEquals("x", matches.matchNow("u").agentId());
    }

    @Test
    void noAgentOnline() throws Exception {
        assertSame(MatchResult.NO_AGENT, matches.matchNow("u1"));
        final MatchResult async = matches.match("u1").toCompletableFuture().get(1, TimeUnit.SECONDS);
        assertFalse(async.found());
        assertNull(done(matches.agentOf("u1")));
        assertEquals(0, matches.pairings());
    }

    @Test
    void leastLoadedFirstThenArrivalOrder() {
        matches.agentOnline("a");
        matches.agentOnline("b");
        matches.agentOnline("c");
        // All at load 0: arrival order a, b, c.
        assertEquals(new MatchResult("a", true), matches.matchNow("u1"));
        assertEquals(new MatchResult("b", true), matches.matchNow("u2"));
        assertEquals(new MatchResult("c", true), matches.matchNow("u3"));
        // All at load 1: a again.
        assertEquals("a", matches.matchNow("u4").agentId());
        // b (load 1) is less loaded than a (load 2).
        assertTrue(done(matches.unpair("u3", "c")));
        assertEquals("c", matches.matchNow("u5").agentId(), "c is back at load 0");
        assertEquals("b", matches.matchNow("u6").agentId());
        assertEquals(Map.of("a", 2, "b", 2, "c", 1), matches.loads());
    }

    @Test
    void arrivalOrderIsTheFirstTimeAnAgentCameOnline() {
        matches.agentOnline("late");
        matches.agentOnline("early");
        matches.agentOnline("late"); // already online: no change of place
        assertEquals("late", matches.matchNow("u1").agentId());
        assertEquals("early", matches.matchNow("u2").agentId());
    }

    @Test
    void capacityIsNeverExceeded() {
        matches.agentOnline("a");
        assertTrue(matches.matchNow("u1").isNew());
        assertTrue(matches.matchNow("u2").isNew());
        assertEquals(0, matches.availableAgents());
        assertSame(MatchResult.NO_AGENT, matches.matchNow("u3"));
        assertEquals(Map.of("a", 2), matches.loads());
        assertEquals(2, matches.pairings());
    }

    @Test
    void matchIsIdempotent() {
        matches.agentOnline("a");
        matches.agentOnline("b");
        assertEquals(new MatchResult("a", true), matches.matchNow("u1"));
        assertEquals(new MatchResult("a", false), matches.matchNow("u1"));
        assertEquals(new MatchResult("a", false), matches.matchNow("u1"));
        assertEquals(Map.of("a", 1, "b", 0), matches.loads());
        assertEquals(List.of("u1"), done(matches.usersOf("a")));
        assertEquals("a", done(matches.agentOf("u1")));
        assertEquals(1, matches.pairings());
    }

    @Test
    void anOfflineAgentGetsNoNewUsersButKeepsItsPairs() {
        matches.agentOnline("a");
        matches.agentOnline("b");
        matches.matchNow("u1"); // a
        matches.agentOffline("a");
        assertEquals("b", matches.matchNow("u2").agentId());
        assertEquals("b", matches.matchNow("u3").agentId());
        assertSame(MatchResult.NO_AGENT, matches.matchNow("u4"), "a is offline, b is full");
        assertEquals("a", done(matches.agentOf("u1")));
        assertEquals(List.of("u1"), done(matches.usersOf("a")));
        assertEquals(new MatchResult("a", false), matches.matchNow("u1"), "an existing pair survives");
    }

    @Test
    void anOfflineAgentWithoutUsersIsForgotten() {
        matches.agentOnline("a");
        matches.agentOffline("a");
        assertEquals(Map.of(), matches.loads());
        assertEquals(0, matches.availableAgents());
        matches.agentOffline("never-seen"); // harmless
    }

    @Test
    void anAgentComingBackOnlineIsMatchableAgain() {
        matches.agentOnline("a");
        matches.matchNow("u1");
        matches.agentOffline("a");
        assertSame(MatchResult.NO_AGENT, matches.matchNow("u2"));
        matches.agentOnline("a");
        assertEquals(1, matches.availableAgents());
        assertEquals(new MatchResult("a", true), matches.matchNow("u2"));
        assertEquals(List.of("u1", "u2"), done(matches.usersOf("a")));
    }

    @Test
    void anAgentBackOnlineAtCapacityIsNotAvailable() {
        matches.agentOnline("a");
        matches.matchNow("u1");
        matches.matchNow("u2");
        matches.agentOffline("a");
        matches.agentOnline("a");
        assertEquals(0, matches.availableAgents());
        assertSame(MatchResult.NO_AGENT, matches.matchNow("u3"));
    }

    @Test
    void unpairFreesCapacity() {
        matches.agentOnline("a");
        matches.matchNow("u1");
        matches.matchNow("u2");
        assertFalse(done(matches.unpair("u1", "b")), "not paired with b");
        assertFalse(done(matches.unpair("nobody", "a")));
        assertTrue(done(matches.unpair("u1", "a")));
        assertFalse(done(matches.unpair("u1", "a")), "already unpaired");
        assertNull(done(matches.agentOf("u1")));
        assertEquals(List.of("u2"), done(matches.usersOf("a")));
        assertEquals(1, matches.availableAgents());
        assertEquals(new MatchResult("a", true), matches.matchNow("u3"));
        assertEquals(2, matches.pairings());
    }

    @Test
    void unpairingTheLastUserOfAnOfflineAgentForgetsIt() {
        matches.agentOnline("a");
        matches.matchNow("u1");
        matches.agentOffline("a");
        assertTrue(done(matches.unpair("u1", "a")));
        assertEquals(Map.of(), matches.loads());
        assertEquals(0, matches.availableAgents(), "an offline agent must not become available by an unpair");
        assertSame(MatchResult.NO_AGENT, matches.matchNow("u2"));
    }

    @Test
    void releaseAgentReturnsItsUsersAndClearsThem() {
        matches.agentOnline("a");
        matches.agentOnline("b");
        matches.matchNow("u1"); // a
        matches.matchNow("u2"); // b
        matches.matchNow("u3"); // a
        matches.agentOffline("a");
        assertEquals(List.of("u1", "u3"), done(matches.releaseAgent("a")));
        assertNull(done(matches.agentOf("u1")));
        assertNull(done(matches.agentOf("u3")));
        assertEquals("b", done(matches.agentOf("u2")));
        assertEquals(List.of(), done(matches.usersOf("a")));
        assertEquals(Map.of("b", 1), matches.loads());
        assertEquals(1, matches.pairings());
        assertEquals(List.of(), done(matches.releaseAgent("a")), "already released");
        // The released users can be matched again.
        assertEquals("b", matches.matchNow("u1").agentId());
    }

    @Test
    void releasingAnOnlineAgentTakesItOutOfThePool() {
        matches.agentOnline("a");
        matches.matchNow("u1");
        assertEquals(List.of("u1"), done(matches.releaseAgent("a")));
        assertEquals(0, matches.availableAgents());
        assertSame(MatchResult.NO_AGENT, matches.matchNow("u2"));
    }
}
