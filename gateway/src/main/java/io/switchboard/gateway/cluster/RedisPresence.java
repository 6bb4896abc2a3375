package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.switchboard.gateway.chat.LocalDelivery;
import io.switchboard.gateway.chat.Presence;
import io.switchboard.gateway.chat.Replacement;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's presence directory: which node holds each userId's connection, in Redis, and the hand-over of what
 * was held for a user when it connects here.
 *
 * <p>{@link #attached} sets {@code presence:<user> = node|connection|role} and takes what was held for the user, in
 * one script, so a message is either in the drained hold or routed to the new presence, never lost in between. Until
 * that reply is written to the connection, deliveries to the session queue behind it (on its loop), so held messages
 * arrive first and in order ({@link #deliverHere}). If the previous presence was another node, that node is told to
 * close the old connection with 4001. {@link #detached} removes the presence only if it is still this connection's.
 *
 * <p>Thread-safe and non-blocking. Redis replies complete on Lettuce threads; everything touching a connection hops
 * to its event loop.
 */
final class RedisPresence implements Presence {

    private static final Logger logger = LoggerFactory.getLogger(RedisPresence.class);

    /**
     * KEYS presence, hold, this node's users; ARGV value, user, prefix, resync. Sets the presence (on resync only if
     * free or already this node's), takes the node's ownership from the previous node, drains the hold.
     * Returns {previous presence or '', held entries}.
     */
    private static final LuaScript ATTACH = new LuaScript("""
            local old = redis.call('GET', KEYS[1])
            local me = string.match(ARGV[1], '^([^|]*)|')
            if old then
              local oldNode = string.match(old, '^([^|]*)|')
              if ARGV[4] == '1' and oldNode ~= me then return {old, {}} end
              if oldNode ~= me then redis.call('SREM', ARGV[3] .. 'node:' .. oldNode .. ':users', ARGV[2]) end
            end
            redis.call('SET', KEYS[1], ARGV[1])
            redis.call('SADD', KEYS[3], ARGV[2])
            local held = redis.call('LRANGE', KEYS[2], 0, -1)
            redis.call('DEL', KEYS[2])
            return {old or '', held}
            """, ScriptOutputType.MULTI);

    /**
     * KEYS presence, this node's users, pairs, agent users; ARGV value, user, role. Removes the presence if it is
     * still this connection's; the node keeps owning a paired user (its grace period runs here) so that the reaper
     * releases it should this node die first.
     */
    private static final LuaScript DETACH = new LuaScript("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('DEL', KEYS[1])
            local paired
            if ARGV[3] == 'agent' then paired = redis.call('SCARD', KEYS[4]) > 0
            else paired = redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 end
            if not paired then redis.call('SREM', KEYS[2], ARGV[2]) end
            return 1
            """, ScriptOutputType.INTEGER);

    /** The scripts on the delivery path, loaded when the node connects (see {@link LuaScript#load}). */
    static final List<LuaScript> SCRIPTS = List.of(ATTACH, DETACH);

    private final String nodeId;
    private final Supplier<RedisAsyncCommands<String, String>> redis;
    private final RedisKeys keys;
    private final SessionRegistry registry;
    private final LocalDelivery delivery;
    private final RedisHold hold;
    private final NodeBus bus;
    private final RedisMatchService matches;
    private final Replacement replacement;
    private final EnvelopeJson json;
    private final GatewayMetrics metrics;
    /** Sessions whose held messages are on their way from Redis; deliveries queue here. Touched on their loop. */
    private final ConcurrentHashMap<Session, ArrayDeque<Envelope>> syncing = new ConcurrentHashMap<>();
    /** Set when a presence update failed (Redis down): the next heartbeat re-announces every local session. */
    private volatile boolean resyncNeeded;

    RedisPresence(String nodeId, Supplier<RedisAsyncCommands<String, String>> redis, RedisKeys keys,
                  SessionRegistry registry, LocalDelivery delivery, RedisHold hold, NodeBus bus,
                  RedisMatchService matches, Replacement replacement, EnvelopeJson json, GatewayMetrics metrics) {
        this.nodeId = nodeId;
        this.redis = redis;
        this.keys = keys;
        this.registry = registry;
        this.delivery = delivery;
        this.hold = hold;
        this.bus = bus;
        this.matches = matches;
        this.replacement = replacement;
        this.json = json;
        this.metrics = metrics;
    }

    @Override
    public void attached(Session session) {
        assert session.channel().eventLoop().inEventLoop();
        matches.forget(session.userId(), session.role() == Role.AGENT);
        syncing.put(session, new ArrayDeque<>());
        announce(session, false);
    }

    /**
     * Publishes the presence of {@code session} and writes what was held for it. With {@code resync}, after an
     * outage, an entry another node set meanwhile wins (that connection is newer).
     */
    private void announce(Session session, boolean resync) {
        final String userId = session.userId();
        ATTACH.<List<Object>>run(redis.get(),
                                 new String[] {keys.presence(userId), keys.hold(userId), keys.nodeUsers(nodeId)},
                                 presenceValue(session), userId, keys.prefix, resync ? "1" : "0")
              .whenCompleteAsync((reply, error) -> {
                  if (error != null) {
                      resyncNeeded = true;
                      logger.debug("{} presence not published ({}); will retry", session.channel(),
                                   error.toString());
                      flush(session, List.of());
                      return;
                  }
                  final String previous = (String) reply.get(0);
                  if (!previous.isEmpty() && !resync) {
                      final String[] p = previous.split("\\|", 3);
                      if (!p[0].equals(nodeId)) {
                          bus.kick(p[0], userId, p[1]);
                      }
                  }
                  @SuppressWarnings("unchecked")
                  final List<Object> held = (List<Object>) reply.get(1);
                  flush(session, held);
              }, session.channel().eventLoop());
    }

    /** On the session's loop: writes the held entries, then what queued meanwhile, and ends the sync. */
    private void flush(Session session, List<Object> held) {
        final ArrayDeque<Envelope> queued = syncing.remove(session);
        if (!session.channel().isActive()) {
            // Closed while its hold was on the way: put the hold back for its next connection.
            for (Object entry : held) {
                hold.holdEntry(session.userId(), (String) entry);
            }
            return;
        }
        final List<Envelope> envelopes = hold.decode(held);
        for (Envelope envelope : envelopes) {
            matches.observe(session.userId(), envelope);
        }
        final int written = delivery.writeAll(session, envelopes);
        if (queued != null) {
            for (Envelope envelope : queued) {
                delivery.deliver(session, session.userId(), envelope, null);
            }
        }
        if (written > 0) {
            metrics.offlineDelivered(written);
        }
    }

    /**
     * Delivers to a session of this node, behind its held messages if they are still on their way. A delivery that
     * queues keeps the envelope, so {@code encoded} is never kept past the call.
     */
    Router.Delivery deliverHere(Session session, Envelope envelope, ByteBuf encoded) {
        matches.observe(session.userId(), envelope);
        if (syncing.containsKey(session)) {
            queueBehindHold(session, envelope);
            return Router.Delivery.LIVE;
        }
        return delivery.deliver(session, session.userId(), envelope, encoded);
    }

    /**
     * Delivers a message from another node to a session of this node: its JSON is written as it came, decoded only
     * for what the pairing cache observes ({@code match} and {@code leave} notices) or if it has to wait.
     */
    Router.Delivery deliverHere(Session session, NodeBus.Deliver deliver) {
        final boolean normal = deliver.isNormal();
        if (!normal || syncing.containsKey(session)) {
            return deliverHere(session, decode(deliver.json()), null);
        }
        final ByteBuf frame = Unpooled.copiedBuffer(deliver.json(), StandardCharsets.UTF_8);
        return delivery.deliverPreEncoded(session, frame, () -> decode(deliver.json()));
    }

    private void queueBehindHold(Session session, Envelope envelope) {
        session.channel().eventLoop().execute(() -> {
            final ArrayDeque<Envelope> queue = syncing.get(session);
            if (queue != null) {
                queue.add(envelope);
            } else {
                delivery.deliver(session, session.userId(), envelope, null);
            }
        });
    }

    private Envelope decode(String body) {
        try {
            return json.read(body.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable envelope from another node", e);
        }
    }

    /** Another node took over {@code userId}: close our connection {@code connection} of it with 4001. */
    void onKick(String userId, String connection) {
        final Session session = registry.find(userId);
        if (session != null && connectionId(session).equals(connection)) {
            replacement.replace(session, "a connection on another node");
        }
    }

    @Override
    public void detached(Session session) {
        syncing.remove(session);
        matches.forget(session.userId(), session.role() == Role.AGENT);
        final String userId = session.userId();
        DETACH.run(redis.get(), new String[] {keys.presence(userId), keys.nodeUsers(nodeId), keys.pairs(),
                                              keys.agentUsers(userId)},
                   presenceValue(session), userId, session.role().wireName())
              .whenComplete((n, error) -> {
                  if (error != null) {
                      resyncNeeded = true;
                      logger.debug("{} presence not removed: {}", session.channel(), error.toString());
                  }
              });
        // The user may come back on any node: hand over what is held here, after the presence removal (same Redis
        // connection, so in order) and, as a task of its own, after the writes the closing channel still had pending:
        // Netty fails those right after the close listeners ran, and they are handed over first, being older.
        session.channel().eventLoop().execute(() -> delivery.handOffHeld(userId));
    }

    @Override
    public CompletionStage<Boolean> connectedElsewhere(String userId) {
        return LuaScript.<String>call(() -> redis.get().get(keys.presence(userId)))
                        .thenApply(p -> p != null && !p.startsWith(nodeId + '|'));
    }

    /**
     * Re-announces every local session after Redis lost or missed them (an outage, a restart without persistence,
     * or this node being taken for dead). Returns how many sessions it re-announces.
     */
    int resyncIfNeeded(boolean force) {
        if (!force && !resyncNeeded) {
            return 0;
        }
        resyncNeeded = false;
        registry.forEach(session -> session.channel().eventLoop().execute(() -> {
            if (registry.find(session.userId()) != session) {
                return;
            }
            syncing.putIfAbsent(session, new ArrayDeque<>());
            announce(session, true);
            if (session.role() == Role.AGENT) {
                matches.agentOnline(session.userId());
            }
        }));
        return registry.size();
    }

    /** {@code node|connection|role}: what the directory says of a session of this node. */
    String presenceValue(Session session) {
        return nodeId + '|' + connectionId(session) + '|' + session.role().wireName();
    }

    private static String connectionId(Session session) {
        return session.channel().id().asShortText();
    }
}
