package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's presence directory: which node holds each userId's connection, in Redis, and the hand-over of what
 * was held for a user when it connects here.
 *
 * <p>{@link #attached} sets {@code presence = node|connection|role} and {@code owner = node} and takes what was
 * held for the user, in one script in the user's slot, so a message is either in the drained hold or routed to the
 * new presence, never lost in between. The node's index of the users it owns ({@link RedisKeys#nodeUsers}, another
 * slot) is updated beside it; the reaper checks the owner, so a stale index entry does no harm. Until
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
     * KEYS presence, hold, seq, ack log, kept notices, owner; ARGV value, resync, ack, since, ttl ms, max per user,
     * this node. Sets the presence (on resync only if free or already this node's) and the owner, and hands over what
     * waits for the user. A plain connection takes the hold and the unacknowledged deliveries an acknowledging one
     * left (which count as acknowledged). An acknowledging one applies its {@code since}, and the hold moves into its
     * log, each message taking the next seq, so nothing leaves Redis before it is in the log; a held {@code normal}
     * is marked to notify its sender, which {@link RedisAcks} does only if the sender acknowledges. Returns
     * {previous presence or '', held entries, the seq the log resumes above (-1 if plain), log entries, the entries
     * {@code since} acknowledged, the kept live-only notices ({@link Router#notifyOrKeep}), previous owner or ''}.
     * Touches only the user's slot.
     */
    private static final LuaScript ATTACH = new LuaScript("""
            local old = redis.call('GET', KEYS[1])
            local me = ARGV[7]
            if old and ARGV[2] == '1' and string.match(old, '^([^|]*)|') ~= me then
              return {old, {}, '-1', {}, {}, {}, ''}
            end
            local owner = redis.call('GET', KEYS[6]) or ''
            redis.call('SET', KEYS[6], me)
            redis.call('SET', KEYS[1], ARGV[1])
            local kept = redis.call('HVALS', KEYS[5])
            redis.call('DEL', KEYS[5])
            local held = redis.call('LRANGE', KEYS[2], 0, -1)
            redis.call('DEL', KEYS[2])
            if ARGV[3] ~= '1' then
              local log = redis.call('LRANGE', KEYS[4], 0, -1)
              if #log > 0 then
                redis.call('DEL', KEYS[4])
                redis.call('HSET', KEYS[3], 'acked', redis.call('HGET', KEYS[3], 'last'))
              end
              return {old or '', held, '-1', log, {}, kept, owner}
            end
            redis.call('HSETNX', KEYS[3], 'last', 0)
            redis.call('HSETNX', KEYS[3], 'acked', 0)
            local since = tonumber(ARGV[4])
            if since > tonumber(redis.call('HGET', KEYS[3], 'last')) then
              redis.call('HSET', KEYS[3], 'last', since)
            end
            local from = tonumber(redis.call('HGET', KEYS[3], 'acked'))
            local acked = {}
            if since >= 0 then
              if since > from then redis.call('HSET', KEYS[3], 'acked', since) end
              from = since
              while true do
                local first = redis.call('LINDEX', KEYS[4], 0)
                if not first or tonumber(string.match(first, '^(%d+)|')) > since then break end
                acked[#acked + 1] = redis.call('LPOP', KEYS[4])
              end
            end
            for _, entry in ipairs(held) do
              local bar = string.find(entry, '|', 1, true)
              local body = string.sub(entry, bar + 1)
              local notify = '0'
              local ok, m = pcall(cjson.decode, body)
              if ok and m.type == 'normal' and m.from then notify = '1' end
              local seq = redis.call('HINCRBY', KEYS[3], 'last', 1)
              local deadline = string.sub(entry, 1, bar - 1)
              redis.call('RPUSH', KEYS[4], seq .. '|' .. deadline .. '|' .. notify .. '|' .. body)
            end
            if #held > 0 then
              local excess = redis.call('LLEN', KEYS[4]) - tonumber(ARGV[6])
              if excess > 0 then redis.call('LTRIM', KEYS[4], excess, -1) end
              redis.call('PEXPIRE', KEYS[4], ARGV[5])
            end
            return {old or '', {}, tostring(from), redis.call('LRANGE', KEYS[4], 0, -1), acked, kept, owner}
            """, ScriptOutputType.MULTI);

    /**
     * KEYS presence, ack log; ARGV value, max per user. Removes the presence if it is still this connection's, and
     * trims the user's unacknowledged deliveries to the offline bound (a live connection is not bound by it: see
     * {@link RedisAcks}). Returns 1 if it removed it.
     */
    private static final LuaScript DETACH = new LuaScript("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('DEL', KEYS[1])
            local excess = redis.call('LLEN', KEYS[2]) - tonumber(ARGV[2])
            if excess > 0 then redis.call('LTRIM', KEYS[2], excess, -1) end
            return 1
            """, ScriptOutputType.INTEGER);

    /**
     * KEYS owner, presence; ARGV this node. Gives up this node's ownership of a user who is neither connected nor
     * paired nor waiting any more; returns 1 if it did.
     */
    private static final LuaScript DISOWN = new LuaScript("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
            redis.call('DEL', KEYS[1])
            return 1
            """, ScriptOutputType.INTEGER);

    /** The scripts on the delivery path, loaded when the node connects (see {@link LuaScript#load}). */
    static final List<LuaScript> SCRIPTS = List.of(ATTACH, DETACH, DISOWN);

    private final String nodeId;
    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final SessionRegistry registry;
    private final LocalDelivery delivery;
    private final RedisHold hold;
    private final RedisAcks acks;
    private final NodeBus bus;
    private final RedisMatchService matches;
    private final Replacement replacement;
    private final EnvelopeJson json;
    private final GatewayMetrics metrics;
    /**
     * Sessions whose held messages are on their way from Redis; deliveries queue here. A queue is touched only under
     * its own monitor, and leaves this map at the end of the hand-over that writes it, under the same monitor: a
     * delivery that finds no queue comes after everything the hand-over wrote, whichever thread it arrives on.
     */
    private final ConcurrentHashMap<Session, ArrayDeque<Queued>> syncing = new ConcurrentHashMap<>();

    /** A delivery waiting for its session's hand-over; {@code outcome} completes once it is delivered or held. */
    private record Queued(Envelope envelope, CompletableFuture<Router.Delivery> outcome) {}
    /** Set when a presence update failed (Redis down): the next heartbeat re-announces every local session. */
    private volatile boolean resyncNeeded;

    RedisPresence(String nodeId, ClusterRedis redis, RedisKeys keys,
                  SessionRegistry registry, LocalDelivery delivery, RedisHold hold, RedisAcks acks, NodeBus bus,
                  RedisMatchService matches, Replacement replacement, EnvelopeJson json, GatewayMetrics metrics) {
        this.acks = acks;
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
        // The index of what this node owns first, so that a node that dies right after the attach is reaped; a
        // failure leaves the attach to the next resync.
        LuaScript.<Long>call(() -> redis.async().sadd(keys.nodeUsers(nodeId), userId)).whenComplete((n, error) -> {
            if (error != null) {
                resyncNeeded = true;
            }
        });
        ATTACH.<List<Object>>run(redis.async(),
                                 new String[] {keys.presence(userId), keys.hold(userId), keys.seq(userId),
                                               keys.ackLog(userId), keys.kept(userId), keys.owner(userId)},
                                 presenceValue(session), resync ? "1" : "0", session.ackMode() ? "1" : "0",
                                 Long.toString(session.since()), hold.ttlMillis(), hold.maxPerUser(), nodeId)
              .whenCompleteAsync((reply, error) -> {
                  if (error != null) {
                      resyncNeeded = true;
                      logger.debug("{} presence not published ({}); will retry", session.channel(),
                                   error.toString());
                      flush(session, List.of(), -1, List.of(), List.of());
                      return;
                  }
                  final String previous = (String) reply.get(0);
                  final String owner = (String) reply.get(6);
                  if (!owner.isEmpty() && !owner.equals(nodeId)) {
                      disowned(owner, userId);
                  }
                  if (!previous.isEmpty() && !resync) {
                      final String[] p = previous.split("\\|", 3);
                      if (!p[0].equals(nodeId)) {
                          bus.kick(p[0], userId, p[1]);
                      }
                  }
                  @SuppressWarnings("unchecked")
                  final List<Object> held = (List<Object>) reply.get(1);
                  @SuppressWarnings("unchecked")
                  final List<Object> log = (List<Object>) reply.get(3);
                  @SuppressWarnings("unchecked")
                  final List<Object> acknowledged = (List<Object>) reply.get(4);
                  @SuppressWarnings("unchecked")
                  final List<Object> kept = (List<Object>) reply.get(5);
                  acks.acknowledgedOnAttach(userId, acknowledged);
                  flush(session, held, Long.parseLong((String) reply.get(2)), log, kept);
              }, session.channel().eventLoop());
    }

    /**
     * On the session's loop: writes what the attach script handed over, then what queued meanwhile, and ends the
     * sync. An acknowledging session gets its log above {@code ackFrom} (the hold is in it already); a plain one the
     * deliveries an acknowledging connection left unacknowledged ({@code log}), then the hold.
     */
    private void flush(Session session, List<Object> held, long ackFrom, List<Object> log, List<Object> kept) {
        final ArrayDeque<Queued> queued = syncing.get(session);
        if (queued == null) {
            flush(session, held, ackFrom, log, kept, null);
            return;
        }
        // Under the queue's monitor until the end: a delivery arriving meanwhile waits and then comes after all this.
        synchronized (queued) {
            try {
                flush(session, held, ackFrom, log, kept, queued);
            } finally {
                syncing.remove(session, queued);
            }
        }
    }

    private void flush(Session session, List<Object> held, long ackFrom, List<Object> log, List<Object> kept,
                       ArrayDeque<Queued> queued) {
        final boolean ack = session.ackMode();
        if (!session.channel().isActive()) {
            // Closed while its hold was on the way: put back what left Redis for its next connection.
            // At the front, in their order: they are older than anything held for the user meanwhile.
            final List<String> back = new ArrayList<>();
            if (!ack) {
                for (Envelope envelope : acks.plain(log)) {
                    back.add(hold.entry(new String(json.toBytes(envelope), StandardCharsets.UTF_8)));
                }
            }
            for (Object entry : held) {
                back.add((String) entry);
            }
            hold.putBack(session.userId(), back);
            if (queued != null) {
                queued.forEach(q -> q.outcome.complete(Router.Delivery.HELD));
                queued.forEach(q -> delivery.handOff(session.userId(), q.envelope));
            }
            return;
        }
        if (ack) {
            // ackFrom < 0: the attach failed (Redis unreachable). Nothing is written until the resync attaches the
            // session again; what queued goes into its log meanwhile.
            if (ackFrom >= 0) {
                acks.resumed(session, ackFrom, log);
            }
            writeKept(session, kept);
            if (queued != null) {
                for (Queued q : queued) {
                    relay(acks.deliver(session, q.envelope), q.outcome);
                }
            }
            return;
        }
        final List<Envelope> envelopes = new ArrayList<>(acks.plain(log));
        envelopes.addAll(hold.decode(held));
        for (Envelope envelope : envelopes) {
            matches.observe(session.userId(), session.role() == Role.AGENT, envelope);
        }
        final int written = delivery.writeAll(session, envelopes);
        writeKept(session, kept);
        if (queued != null) {
            for (Queued q : queued) {
                q.outcome.complete(delivery.deliver(session, session.userId(), q.envelope, null));
            }
        }
        if (written > 0) {
            metrics.offlineDelivered(written);
        }
    }

    /**
     * Writes the live-only notices kept in Redis for the user while it was offline ({@link Router#notifyOrKeep}),
     * after what was held for it. On the session's loop. Not durable: what cannot be written now is dropped.
     */
    private void writeKept(Session session, List<Object> kept) {
        if (kept.isEmpty()) {
            return;
        }
        final var channel = session.channel();
        for (Object notice : kept) {
            try {
                channel.write(decode((String) notice), channel.voidPromise());
            } catch (UncheckedIOException e) {
                logger.debug("{} unreadable kept notice dropped: {}", channel, e.toString());
            }
        }
        channel.flush();
    }

    /**
     * Writes a live-only notice ({@link Router#notify}) to a session of this node if it keeps up; {@code false} if
     * it was not written.
     */
    boolean notifyHere(Session session, Envelope envelope) {
        return delivery.notify(session, envelope);
    }

    /**
     * Delivers to a session of this node, behind its held messages if they are still on their way. A delivery that
     * queues keeps the envelope, so {@code encoded} is never kept past the call. Completes at once for a plain
     * session, and once Redis has the delivery in its log for an acknowledging one.
     */

    CompletionStage<Router.Delivery> deliverHere(Session session, Envelope envelope, ByteBuf encoded) {
        matches.observe(session.userId(), session.role() == Role.AGENT, envelope);
        final ArrayDeque<Queued> queue = syncing.get(session);
        if (queue != null) {
            final CompletionStage<Router.Delivery> queued = queueBehindHold(session, queue, envelope);
            if (queued != null) {
                return queued;
            }
        }
        if (session.ackMode()) {
            return acks.deliver(session, envelope);
        }
        return delivery.deliver(session, session.userId(), envelope, encoded).asStage();
    }

    /**
     * Delivers a message from another node to a session of this node: its JSON is written as it came, decoded only
     * for what the pairing cache observes ({@code match} and {@code leave} notices), for an acknowledging session,
     * or if it has to wait.
     */
    CompletionStage<Router.Delivery> deliverHere(Session session, NodeBus.Deliver deliver) {
        if (!deliver.isNormal() || session.ackMode() || syncing.containsKey(session)) {
            return deliverHere(session, decode(deliver.json()), null);
        }
        final ByteBuf frame = Unpooled.copiedBuffer(deliver.json(), StandardCharsets.UTF_8);
        return delivery.deliverPreEncoded(session, frame, () -> decode(deliver.json())).asStage();
    }

    /**
     * Queues a delivery behind the hand-over, or returns {@code null} if it ended meanwhile (then everything it wrote
     * is written: deliver as usual). A plain session's is promised at once, as a live write is; an acknowledging
     * session's once it is in the log. The decision is taken here, on the caller's thread and in arrival order, not
     * deferred to the session's loop: a later message deciding first could pass it.
     */
    private CompletionStage<Router.Delivery> queueBehindHold(Session session, ArrayDeque<Queued> queue,
                                                             Envelope envelope) {
        synchronized (queue) {
            if (syncing.get(session) != queue) {
                return null;
            }
            final CompletableFuture<Router.Delivery> outcome = new CompletableFuture<>();
            queue.add(new Queued(envelope, outcome));
            return session.ackMode() ? outcome : Router.Delivery.LIVE.asStage();
        }
    }

    /** Completes {@code to} as {@code from} completes. */
    private static void relay(CompletionStage<Router.Delivery> from, CompletableFuture<Router.Delivery> to) {
        from.whenComplete((d, error) -> {
            if (error != null) {
                to.completeExceptionally(error);
            } else {
                to.complete(d);
            }
        });
    }

    /** The envelope of a message or notice from another node, from its JSON. */
    Envelope decodeEnvelope(String body) {
        return decode(body);
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
        final ArrayDeque<Queued> queued = syncing.get(session);
        if (queued != null) {
            // Closed during its hand-over: route what queued again, cluster-wide.
            synchronized (queued) {
                syncing.remove(session, queued);
                queued.forEach(q -> {
                    q.outcome.complete(Router.Delivery.HELD);
                    delivery.handOff(session.userId(), q.envelope);
                });
            }
        }
        acks.detached(session);
        matches.forget(session.userId(), session.role() == Role.AGENT);
        final String userId = session.userId();
        final boolean agent = session.role() == Role.AGENT;
        DETACH.<Long>run(redis.async(), new String[] {keys.presence(userId), keys.ackLog(userId)},
                         presenceValue(session), hold.maxPerUser())
              .thenCompose(removed -> removed == 0 ? CompletableFuture.completedFuture(null)
                      : matches.pairedOrWaiting(userId, agent).thenCompose(paired -> paired
                              ? CompletableFuture.completedFuture(null)
                              : disown(userId)))
              .whenComplete((n, error) -> {
                  if (error != null) {
                      resyncNeeded = true;
                      logger.debug("{} presence not removed: {}", session.channel(), error.toString());
                  }
              });
        // What is held here for the user is handed over by the session lifecycle (LocalDelivery.handOver), after the
        // presence removal sent above (a task of its own, on the same Redis connection, so in order).
    }

    /**
     * This node owns {@code userId} no more (it left, unpaired): clears the owner, if still this node and the user is
     * not connected, then the index entry. The node keeps owning a paired or waiting user (its grace period runs
     * here) so that the reaper releases it should this node die first.
     */
    private CompletionStage<Void> disown(String userId) {
        return DISOWN.<Long>run(redis.async(), new String[] {keys.owner(userId), keys.presence(userId)}, nodeId)
                     .thenCompose(n -> n == 0 ? CompletableFuture.completedFuture(null)
                             : LuaScript.call(() -> redis.async().srem(keys.nodeUsers(nodeId), userId))
                                        .thenApply(m -> null));
    }

    /** {@code userId} is owned here now: the index of its previous owner forgets it (best effort: it is checked). */
    private void disowned(String previousOwner, String userId) {
        LuaScript.<Long>call(() -> redis.async().srem(keys.nodeUsers(previousOwner), userId))
                 .whenComplete((n, error) -> {
                     if (error != null) {
                         logger.debug("index of node {} keeps userId={}: {}", previousOwner, userId, error.toString());
                     }
                 });
    }

    @Override
    public CompletionStage<Boolean> connectedElsewhere(String userId) {
        return LuaScript.<String>call(() -> redis.async().get(keys.presence(userId)))
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
                matches.agentOnline(session.userId(), true);
            }
        }));
        return registry.size();
    }

    /** {@code node|connection|role}: what the directory says of a session of this node. */
    String presenceValue(Session session) {
        return presenceValue(nodeId, session);
    }

    /** {@code node|connection|role}: what the directory says of a session of {@code nodeId}. */
    static String presenceValue(String nodeId, Session session) {
        return nodeId + '|' + connectionId(session) + '|' + session.role().wireName();
    }

    private static String connectionId(Session session) {
        return session.channel().id().asShortText();
    }
}
