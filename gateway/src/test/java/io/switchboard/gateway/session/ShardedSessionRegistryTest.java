package io.switchboard.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ShardedSessionRegistryTest {

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        for (EmbeddedChannel ch : channels) {
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    private Session session(String userId, Role role) {
        final EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        return new Session(new ConnectionIdentity(userId, role), ch, 0L);
    }

    @Test
    void shardIndexIsPureAndInRange() {
        for (int shards : new int[] {1, 2, 16, 1024}) {
            final int mask = shards - 1;
            for (int i = 0; i < 10_000; i++) {
                final String id = "user-" + i;
                final int index = ShardedSessionRegistry.shardIndex(id, mask);
                assertTrue(index >= 0 && index < shards, id + " -> " + index);
                // Pure: the same input always gives the same shard, also for an equal but distinct String.
                assertEquals(index, ShardedSessionRegistry.shardIndex(new String(id.toCharArray()), mask));
            }
        }
        assertEquals(0, ShardedSessionRegistry.shardIndex("anything", 0));
    }

    @Test
    void shardIndexSpreadsKeysOverEveryShard() {
        final Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            used.add(ShardedSessionRegistry.shardIndex("u" + i, 15));
        }
        assertEquals(16, used.size());
    }

    @Test
    void shardCountMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new ShardedSessionRegistry(3, 16));
        assertThrows(IllegalArgumentException.class, () -> new ShardedSessionRegistry(0, 16));
        assertThrows(IllegalArgumentException.class, () -> new ShardedSessionRegistry(-4, 16));
        assertEquals(8, new ShardedSessionRegistry(8, 16).shardCount());
        assertEquals(1, new ShardedSessionRegistry(1, 16).shardCount());
    }

    @Test
    void registerFindUnregister() {
        final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 16);
        final Session alice = session("alice", Role.USER);
        assertNull(registry.find("alice"));
        assertNull(registry.register(alice));
        assertSame(alice, registry.find("alice"));
        assertEquals(1, registry.size());
        assertTrue(registry.unregister(alice));
        assertNull(registry.find("alice"));
        assertEquals(0, registry.size());
        assertFalse(registry.unregister(alice), "second unregister is a no-op");
        assertEquals(0, registry.count(Role.USER));
    }

    @Test
    void registerReturnsTheDisplacedSession() {
        final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 16);
        final Session first = session("bob", Role.USER);
        final Session second = session("bob", Role.USER);
        assertNull(registry.register(first));
        assertSame(first, registry.register(second));
        assertSame(second, registry.find("bob"));
        assertEquals(1, registry.size());
        assertEquals(1, registry.count(Role.USER));
    }

    @Test
    void lateUnregisterOfAReplacedSessionDoesNotEvictItsReplacement() {
        final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 16);
        final Session old = session("carol", Role.AGENT);
        final Session replacement = session("carol", Role.AGENT);
        registry.register(old);
        registry.register(replacement);
        assertFalse(registry.unregister(old));
        assertSame(replacement, registry.find("carol"));
        assertEquals(1, registry.count(Role.AGENT));
        assertTrue(registry.unregister(replacement));
        assertEquals(0, registry.count(Role.AGENT));
    }

    @Test
    void countByRoleFollowsRegistrationsReplacementsAndRemovals() {
        final ShardedSessionRegistry registry = new ShardedSessionRegistry(2, 4);
        for (int i = 0; i < 10; i++) {
            registry.register(session("u" + i, Role.USER));
        }
        final Session a0 = session("a0", Role.AGENT);
        registry.register(a0);
        registry.register(session("a1", Role.AGENT));
        assertEquals(10, registry.count(Role.USER));
        assertEquals(2, registry.count(Role.AGENT));
        assertEquals(12, registry.size());

        // A userId that reconnects with another role moves between the counters.
        registry.register(session("u0", Role.AGENT));
        assertEquals(9, registry.count(Role.USER));
        assertEquals(3, registry.count(Role.AGENT));

        assertTrue(registry.unregister(a0));
        assertEquals(2, registry.count(Role.AGENT));
        assertEquals(11, registry.size());
    }

    @Test
    void forEachVisitsEveryRegisteredSessionOnce() {
        final ShardedSessionRegistry registry = new ShardedSessionRegistry(8, 4);
        final Map<Session, Integer> expected = new IdentityHashMap<>();
        for (int i = 0; i < 50; i++) {
            final Session s = session("user" + i, i % 5 == 0 ? Role.AGENT : Role.USER);
            registry.register(s);
            expected.put(s, 0);
        }
        final Session replaced = session("user7", Role.USER);
        expected.remove(registry.register(replaced));
        expected.put(replaced, 0);

        final Map<Session, Integer> seen = new IdentityHashMap<>();
        registry.forEach(s -> seen.merge(s, 1, Integer::sum));
        assertEquals(expected.keySet(), seen.keySet());
        seen.values().forEach(n -> assertEquals(1, n));
    }

    @Test
    void anOlderConnectionRegisteringAfterANewerOneLoses() {
        final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 16);
        final EmbeddedChannel older = new EmbeddedChannel();
        final EmbeddedChannel newer = new EmbeddedChannel();
        channels.add(older);
        channels.add(newer);
        final long now = System.nanoTime();
        final Session first = new Session(new ConnectionIdentity("u", Role.USER, false, -1, now), older, 0L);
        final Session second = new Session(new ConnectionIdentity("u", Role.USER, false, -1, now + 1), newer, 0L);
        // The newer upgrade finished first; the older one registers late and is the one to close.
        assertNull(registry.register(second));
        assertSame(first, registry.register(first));
        assertSame(second, registry.find("u"));
        assertEquals(1, registry.count(Role.USER));
        assertFalse(registry.unregister(first));
        // In the usual order the newer one displaces the older.
        final ShardedSessionRegistry usual = new ShardedSessionRegistry(4, 16);
        assertNull(usual.register(first));
        assertSame(first, usual.register(second));
        assertSame(second, usual.find("u"));
        assertEquals(1, usual.count(Role.USER));
    }
}
