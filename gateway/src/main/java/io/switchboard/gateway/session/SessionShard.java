package io.switchboard.gateway.session;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/** One shard of {@link ShardedSessionRegistry}: a presized map and its counters. Thread-safe. */
final class SessionShard {

    private final ConcurrentHashMap<String, Session> sessions;
    private final LongAdder users = new LongAdder();
    private final LongAdder agents = new LongAdder();

    SessionShard(int initialCapacity) {
        sessions = new ConcurrentHashMap<>(initialCapacity);
    }

    Session put(Session session) {
        final Session[] out = new Session[1];
        sessions.compute(session.userId(), (userId, current) -> {
            if (current != null && current.isNewerThan(session)) {
                out[0] = session; // a newer connection registered first: this one lost
                return current;
            }
            out[0] = current;
            return session;
        });
        final Session displaced = out[0];
        if (displaced == session) {
            return session;
        }
        counter(session.role()).increment();
        if (displaced != null) {
            counter(displaced.role()).decrement();
        }
        return displaced;
    }

    boolean remove(Session session) {
        if (sessions.remove(session.userId(), session)) {
            counter(session.role()).decrement();
            return true;
        }
        return false;
    }

    Session get(String userId) {
        return sessions.get(userId);
    }

    int size() {
        return sessions.size();
    }

    long count(Role role) {
        return counter(role).sum();
    }

    void forEach(Consumer<Session> action) {
        sessions.values().forEach(action);
    }

    private LongAdder counter(Role role) {
        return role == Role.AGENT ? agents : users;
    }
}
