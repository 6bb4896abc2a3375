package io.switchboard.gateway.session;

import java.util.function.Consumer;

/**
 * A {@link SessionRegistry} split into a power-of-two number of shards by a pure hash of the userId. Each operation
 * touches one shard and is O(1). Removal is conditional ({@code ConcurrentMap.remove(key, value)}), so a replaced
 * session's late close cannot evict its replacement; the session lifecycle calls it from the channel's close future.
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class ShardedSessionRegistry implements SessionRegistry {

    private final SessionShard[] shards;
    private final int mask;

    /**
     * @param shardCount              a power of two
     * @param initialCapacityPerShard the initial capacity of each shard's map
     */
    public ShardedSessionRegistry(int shardCount, int initialCapacityPerShard) {
        if (shardCount <= 0 || Integer.bitCount(shardCount) != 1) {
            throw new IllegalArgumentException("shardCount: " + shardCount + " (expected: a power of two)");
        }
        shards = new SessionShard[shardCount];
        for (int i = 0; i < shardCount; i++) {
            shards[i] = new SessionShard(initialCapacityPerShard);
        }
        mask = shardCount - 1;
    }

    /** The shard of {@code userId}: the spread {@code HashMap} uses, masked. A pure function. */
    static int shardIndex(String userId, int mask) {
        final int h = userId.hashCode();
        return (h ^ (h >>> 16)) & mask;
    }

    private SessionShard shard(String userId) {
        return shards[shardIndex(userId, mask)];
    }

    @Override
    public Session register(Session session) {
        return shard(session.userId()).put(session);
    }

    @Override
    public boolean unregister(Session session) {
        return shard(session.userId()).remove(session);
    }

    @Override
    public Session find(String userId) {
        return shard(userId).get(userId);
    }

    @Override
    public int size() {
        int n = 0;
        for (SessionShard s : shards) {
            n += s.size();
        }
        return n;
    }

    @Override
    public int count(Role role) {
        long n = 0;
        for (SessionShard s : shards) {
            n += s.count(role);
        }
        return (int) n;
    }

    @Override
    public void forEach(Consumer<Session> action) {
        for (SessionShard s : shards) {
            s.forEach(action);
        }
    }

    /** The number of shards. */
    public int shardCount() {
        return shards.length;
    }
}
