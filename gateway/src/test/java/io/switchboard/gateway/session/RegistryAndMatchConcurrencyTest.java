package io.switchboard.gateway.session;

import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.gateway.chat.InMemoryMatchService;
import io.switchboard.gateway.chat.MatchResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads racing on the registry and on the match service, then the invariants of issue 2: no lost session,
 * no agent over capacity, no pairing that only one side knows of.
 */
class RegistryAndMatchConcurrencyTest {

    private static final int THREADS = 8;
    private static final int OPS_PER_THREAD = 20_000;
    private static final long JOIN_TIMEOUT_SECONDS = 60;

    private ExecutorService pool;
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @BeforeEach
    void setUp() {
        pool = Executors.newFixedThreadPool(THREADS);
        for (int i = 0; i < 32; i++) {
            channels.add(new EmbeddedChannel());
        }
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS));
        for (EmbeddedChannel ch : channels) {
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    /** What one thread did to the registry, merged after the race. */
    private static final class RegistryLog {
        final List<Session> registered = new ArrayList<>();
        final List<Session> displaced = new ArrayList<>();
        final List<Session> unregistered = new ArrayList<>();
        /** Sessions of shared keys this thread registered; any of them may be unregistered, current or stale. */
        final List<Session> sharedRegistered = new ArrayList<>();
        /** The thread's own keys, touched by it alone: a sequential model must hold exactly. */
        final Map<String, Session> privateModel = new HashMap<>();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void registryRacesKeepEverySessionAccountedFor() throws Exception {
        final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 8);
        final int sharedKeys = 24;
        final CyclicBarrier start = new CyclicBarrier(THREADS);
        final List<Future<RegistryLog>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            final int thread = t;
            futures.add(pool.submit((Callable<RegistryLog>) () -> {
                final SplittableRandom random = new SplittableRandom(42 + thread);
                final RegistryLog log = new RegistryLog();
                start.await(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                for (int op = 0; op < OPS_PER_THREAD; op++) {
                    final boolean shared = random.nextInt(4) != 0;
                    final String userId = shared ? "shared-" + random.nextInt(sharedKeys)
                                                 : "t" + thread + "-" + random.nextInt(8);
                    final int action = random.nextInt(10);
                    if (action < 6 || shared && log.sharedRegistered.isEmpty()) {
                        final Role role = random.nextBoolean() ? Role.USER : Role.AGENT;
                        final Session s = new Session(new ConnectionIdentity(userId, role),
                                                      channels.get(random.nextInt(channels.size())), op);
                        log.registered.add(s);
                        final Session displaced = registry.register(s);
                        if (displaced != null) {
                            log.displaced.add(displaced);
                        }
                        if (shared) {
                            log.sharedRegistered.add(s);
                        } else {
                            assertSame(log.privateModel.put(userId, s), displaced, "private key " + userId);
                        }
                    } else if (!shared) {
                        // Unregister either the current session of a private key or a stale one.
                        final Session current = log.privateModel.get(userId);
                        if (current != null && random.nextBoolean()) {
                            assertTrue(registry.unregister(current), "current session of " + userId);
                            log.unregistered.add(current);
                            log.privateModel.remove(userId);
                        } else {
                            final Session stale = new Session(new ConnectionIdentity(userId, Role.USER),
                                                              channels.get(0), -1);
                            assertFalse(registry.unregister(stale), "a never-registered session");
                        }
                    } else {
                        // Unregister some session this thread registered earlier: current, displaced or gone.
                        final Session s = log.sharedRegistered.get(random.nextInt(log.sharedRegistered.size()));
                        if (registry.unregister(s)) {
                            log.unregistered.add(s);
                        }
                    }
                    if (op % 1000 == 0) {
                        registry.size();
                        registry.count(Role.AGENT);
                        registry.forEach(s -> assertNotNull(s.userId()));
                    }
                }
                return log;
            }));
        }
        final List<RegistryLog> logs = new ArrayList<>();
        for (Future<RegistryLog> f : futures) {
            logs.add(f.get(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }

        // Every registered session left the registry at most once: displaced by a newer one, or unregistered.
        final Map<Session, Integer> exits = new IdentityHashMap<>();
        final List<Session> registered = new ArrayList<>();
        for (RegistryLog log : logs) {
            registered.addAll(log.registered);
            log.displaced.forEach(s -> exits.merge(s, 1, Integer::sum));
            log.unregistered.forEach(s -> exits.merge(s, 1, Integer::sum));
        }
        exits.forEach((s, n) -> assertEquals(1, n, s + " left the registry " + n + " times"));

        // The sessions that never left are exactly what the registry holds: one per userId, none lost, none extra.
        final Map<String, Session> alive = new HashMap<>();
        int aliveAgents = 0;
        for (Session s : registered) {
            if (!exits.containsKey(s)) {
                final Session twin = alive.put(s.userId(), s);
                assertEquals(null, twin, "two live sessions for " + s.userId());
                if (s.role() == Role.AGENT) {
                    aliveAgents++;
                }
            }
        }
        for (int k = 0; k < sharedKeys; k++) {
            assertSame(alive.get("shared-" + k), registry.find("shared-" + k), "shared-" + k);
        }
        for (RegistryLog log : logs) {
            log.privateModel.forEach((userId, s) -> assertSame(s, registry.find(userId), userId));
        }
        for (int t = 0; t < THREADS; t++) {
            for (int k = 0; k < 8; k++) {
                final String userId = "t" + t + "-" + k;
                assertSame(alive.get(userId), registry.find(userId), userId);
            }
        }
        final Map<String, Session> visited = new HashMap<>();
        registry.forEach(s -> assertEquals(null, visited.put(s.userId(), s)));
        assertEquals(alive, visited);
        assertEquals(alive.size(), registry.size());
        assertEquals(aliveAgents, registry.count(Role.AGENT));
        assertEquals(alive.size() - aliveAgents, registry.count(Role.USER));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void matchRacesNeverOverfillAnAgentNorLoseTrackOfAPairing() throws Exception {
        final int capacity = 3;
        final int agents = 6;
        final int users = 80;
        final InMemoryMatchService matches = new InMemoryMatchService(capacity);
        final CyclicBarrier start = new CyclicBarrier(THREADS);
        final List<Future<Integer>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            final int thread = t;
            futures.add(pool.submit(() -> {
                final SplittableRandom random = new SplittableRandom(7 + thread);
                int newPairings = 0;
                start.await(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                for (int op = 0; op < OPS_PER_THREAD; op++) {
                    final String user = "user" + random.nextInt(users);
                    final String agent = "agent" + random.nextInt(agents);
                    final int action = random.nextInt(100);
                    if (action < 45) {
                        final MatchResult r = matches.matchNow(user);
                        if (r.isNew()) {
                            newPairings++;
                        }
                    } else if (action < 70) {
                        final String mine = done(matches.agentOf(user));
                        if (mine != null) {
                            settled(matches.unpair(user, mine));
                        }
                    } else if (action < 75) {
                        // Unpairing from another agent races too. Whether it succeeds depends on whether another
                        // thread re-paired the user with that agent meanwhile, so only the end state is checked.
                        settled(matches.unpair(user, agent));
                    } else if (action < 88) {
                        matches.agentOnline(agent);
                    } else if (action < 95) {
                        matches.agentOffline(agent);
                    } else {
                        // What the released users point at right after is not checked here: another thread may
                        // already have brought the same agent id back online and matched them to it again.
                        settled(matches.releaseAgent(agent));
                    }
                    if (op % 500 == 0) {
                        matches.loads().forEach((a, load) -> assertTrue(load <= capacity, a + " load " + load));
                    }
                }
                return newPairings;
            }));
        }
        int newPairings = 0;
        for (Future<Integer> f : futures) {
            newPairings += f.get(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        assertTrue(newPairings > 0, "the race made pairings at all");

        final Map<String, Integer> loads = matches.loads();
        int sum = 0;
        for (Map.Entry<String, Integer> e : loads.entrySet()) {
            final String agent = e.getKey();
            final int load = e.getValue();
            assertTrue(load >= 0 && load <= capacity, agent + " load " + load);
            final List<String> served = done(matches.usersOf(agent));
            assertEquals(load, served.size(), agent + " load vs its users");
            for (String user : served) {
                assertEquals(agent, done(matches.agentOf(user)), user + " is listed by " + agent);
            }
            sum += load;
        }
        for (int u = 0; u < users; u++) {
            final String user = "user" + u;
            final String agent = done(matches.agentOf(user));
            if (agent != null) {
                assertTrue(done(matches.usersOf(agent)).contains(user),
                           user + " points at " + agent + " which lacks it");
                assertTrue(loads.containsKey(agent), user + " points at a forgotten agent " + agent);
            }
        }
        assertEquals(sum, matches.pairings());
        assertTrue(matches.availableAgents() <= loads.size());

        // After the race the service still works: bring every agent online, fill to capacity, then NO_AGENT.
        for (int a = 0; a < agents; a++) {
            matches.agentOnline("agent" + a);
        }
        int extra = 0;
        while (matches.matchNow("late" + extra).found()) {
            extra++;
            assertTrue(extra <= agents * capacity, "more pairings than capacity");
        }
        assertEquals(agents * capacity, matches.pairings());
        assertEquals(0, matches.availableAgents());
    }

    /**
     * The outcome of a pairing change: complete at once unless another thread is telling the match service's notices
     * (they and the answers that follow them come in their order).
     */
    private static <T> T settled(java.util.concurrent.CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
