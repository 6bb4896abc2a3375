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

    /** Records what the queue tells, per user, thread-safely. */
    private static final class Told implements QueueListener {
        final Map<String, List<Integer>> positions = new java.util.concurrent.ConcurrentHashMap<>();
        final Map<String, String> matched = new java.util.concurrent.ConcurrentHashMap<>();
        final List<String> matchOrder = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        final java.util.concurrent.atomic.AtomicInteger twice = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void matched(String userId, String agentId, long waitedMillis) {
            if (matched.put(userId, agentId) != null) {
                twice.incrementAndGet();
            }
            matchOrder.add(userId);
        }

        @Override
        public void moved(String userId, int position) {
            positions.computeIfAbsent(userId, u -> java.util.Collections.synchronizedList(new java.util.ArrayList<>()))
                     .add(position);
        }
    }

    @Test
    void theQueueIsServedHeadFirstAsAgentsFreeUp() {
        final InMemoryMatchService one = new InMemoryMatchService(1, ChatStore.MEMORY, 10, 60_000, () -> 0L);
        final Told told = new Told();
        one.setQueueListener(told);
        one.agentOnline("a");
        assertTrue(done(one.match("u0", true)).found());
        for (int i = 1; i <= 4; i++) {
            final MatchResult r = done(one.match("u" + i, true));
            assertTrue(r.isQueued());
            assertEquals(i, r.position());
        }
        String current = "u0";
        for (int i = 1; i <= 4; i++) {
            assertTrue(one.unpairNow(current, "a"));
            done(one.serveQueue());
            current = "u" + i;
            assertEquals("a", one.agentOfNow(current));
        }
        assertEquals(List.of("u1", "u2", "u3", "u4"), told.matchOrder);
        assertEquals(List.of(3, 2, 1), told.positions.get("u4"));
        assertEquals(0, one.waitingCount());
    }

    @Test
    void racingFreesMatchEveryWaitingUserExactlyOnceAndPositionsOnlyDecrease() throws Exception {
        final int agents = 12;
        final int capacity = 3;
        final int users = 400;
        final InMemoryMatchService many = new InMemoryMatchService(capacity, ChatStore.MEMORY, users, 60_000,
                                                                   System::currentTimeMillis);
        final Told told = new Told();
        many.setQueueListener(told);
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            final List<java.util.concurrent.Future<?>> work = new java.util.ArrayList<>();
            for (int u = 0; u < users; u++) {
                final String user = "u" + u;
                work.add(pool.submit(() -> {
                    // Another thread may be telling the queue's notices: the answer comes in their order.
                    final MatchResult r = many.match(user, true).toCompletableFuture().get(5, TimeUnit.SECONDS);
                    if (r.found()) {
                        told.matched(user, r.agentId(), 0);
                    }
                    // Whoever is paired leaves at once, freeing room for the head of the queue.
                    final String agent = many.agentOfNow(user);
                    if (agent != null && many.unpairNow(user, agent)) {
                        done(many.serveQueue());
                    }
                    return null;
                }));
            }
            for (int a = 0; a < agents; a++) {
                final String agent = "a" + a;
                work.add(pool.submit(() -> {
                    many.agentOnline(agent);
                    done(many.serveQueue());
                }));
            }
            for (java.util.concurrent.Future<?> f : work) {
                f.get(10, TimeUnit.SECONDS);
            }
            // Users matched from the queue are still paired: end them until nobody waits.
            while (many.waitingCount() > 0 || many.pairings() > 0) {
                for (Map.Entry<String, String> e : Map.copyOf(told.matched).entrySet()) {
                    if (many.unpairNow(e.getKey(), e.getValue())) {
                        done(many.serveQueue());
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, told.twice.get(), "a user was matched twice");
        assertEquals(users, told.matched.size(), "every user was matched");
        told.positions.forEach((user, seen) -> {
            for (int i = 1; i < seen.size(); i++) {
                final int at = i;
                assertTrue(seen.get(at) < seen.get(at - 1), () -> user + " saw its position go " + seen);
            }
        });
        many.loads().values().forEach(load -> assertTrue(load <= capacity));
    }

    @Test
    void statusAwayKeepsUsersButTakesNoNewOnes() {
        final InMemoryMatchService one = new InMemoryMatchService(2, ChatStore.MEMORY, 10, 60_000, () -> 0L);
        one.agentOnline("a");
        assertTrue(done(one.match("u1", false)).found());
        assertTrue(done(one.setAvailable("a", false)));
        assertEquals("away", done(one.agentStatus("a")));
        assertSame(MatchResult.NO_AGENT, done(one.match("u2", false)));
        assertEquals("a", one.agentOfNow("u1"));
        assertTrue(done(one.setAvailable("a", true)));
        assertEquals("a", done(one.match("u2", false)).agentId());
        assertFalse(done(one.setAvailable("nobody", true)));
        assertEquals(Map.of("available", 1, "away", 0), one.agentsByStatus());
    }

    @Test
    void expiredWaitsLeaveTheQueueAndThoseBehindMoveUp() {
        final long[] now = {0};
        final InMemoryMatchService one = new InMemoryMatchService(1, ChatStore.MEMORY, 10, 1000, () -> now[0]);
        final Told told = new Told();
        final List<String> expired = new java.util.ArrayList<>();
        one.setQueueListener(new QueueListener() {
            @Override
            public void moved(String userId, int position) {
                told.moved(userId, position);
            }

            @Override
            public void expired(String userId, long waitedMillis) {
                expired.add(userId + "@" + waitedMillis);
            }
        });
        done(one.match("u1", true));
        now[0] = 500;
        done(one.match("u2", true));
        now[0] = 1200;
        done(one.expireQueue());
        assertEquals(List.of("u1@1200"), expired);
        assertEquals(List.of(1), told.positions.get("u2"));
        assertEquals(1, done(one.queuePosition("u2")));
        assertEquals(-1L, done(one.leaveQueue("u1")));
        assertEquals(700L, done(one.leaveQueue("u2")));
    }
}
