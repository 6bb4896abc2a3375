package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.chat.LocalRouter;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import io.switchboard.protocol.netty.CloseCodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster {@link Router}: the presence directory, cross-node delivery and the Redis offline hold.
 *
 * <p><b>Delivery.</b> A recipient connected here takes the {@link LocalRouter} path, with no Redis at all. Otherwise
 * one Lua script looks up its presence and either {@code PUBLISH}es the envelope to the node holding it, or (no
 * presence, or nobody subscribed to that node's channel) appends it to the recipient's hold ({@code RPUSH}, {@code
 * LTRIM} to the bound, {@code PEXPIRE}) and answers {@code HELD}. A published envelope is answered by the receiving
 * node with an ack naming what it did ({@code LIVE}, or {@code HELD} if the recipient had just left); the delivery
 * completes with that ack, so "push success" still means "written to the recipient's live connection". No ack within
 * {@code remote-timeout}: {@code DROPPED} (the node died mid-way), which the sender sees as {@code UNAVAILABLE}.
 *
 * <p><b>Presence.</b> {@link #attached} sets {@code presence:<user> = node|connection|role} and takes what was held
 * for the user, in one script, so a message is either in the drained hold or routed to the new presence, never lost
 * in between. Until that reply is written to the connection, deliveries to the session queue behind it (on its
 * loop), so held messages arrive first and in order. If the previous presence was another node, that node is told to
 * close the old connection with 4001. {@link #detached} removes the presence only if it is still this connection's.
 *
 * <p>Channel messages ({@code |}-separated; the envelope JSON last, so it may contain anything):
 * {@code D|origin|corrId|hops|toUser|json} deliver, {@code A|corrId|DELIVERY} ack,
 * {@code K|user|connection} close that connection with 4001.
 *
 * <p>Thread-safe and non-blocking. Redis replies complete on Lettuce threads; everything touching a connection hops to
 * its event loop.
 */
public final class ClusterRouter implements Router {

    private static final Logger logger = LoggerFactory.getLogger(ClusterRouter.class);
    /** A delivery may be forwarded once when its recipient moved between lookup and arrival. */
    private static final int MAX_HOPS = 1;

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

    /**
     * KEYS presence, hold; ARGV this node, hold entry, max per user, ttl ms, channel prefix, channel message.
     * Returns 'P'..node (published), 'L' (the presence is this node's) or 'H' (held).
     */
    private static final LuaScript ROUTE = new LuaScript("""
            local p = redis.call('GET', KEYS[1])
            if p then
              local node = string.match(p, '^([^|]*)|')
              if node == ARGV[1] then return 'L' end
              if redis.call('PUBLISH', ARGV[5] .. node, ARGV[6]) > 0 then return 'P' .. node end
            end
            redis.call('RPUSH', KEYS[2], ARGV[2])
            redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
            redis.call('PEXPIRE', KEYS[2], ARGV[4])
            return 'H'
            """, ScriptOutputType.STATUS);

    /** KEYS hold; ARGV entry, max per user, ttl ms. */
    private static final LuaScript HOLD = new LuaScript("""
            redis.call('RPUSH', KEYS[1], ARGV[1])
            redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return 1
            """, ScriptOutputType.INTEGER);

    private final String nodeId;
    private final Supplier<RedisAsyncCommands<String, String>> redis;
    private final RedisKeys keys;
    private final SessionRegistry registry;
    private final LocalRouter local;
    private final RedisMatchService matches;
    private final EnvelopeJson json;
    private final GatewayMetrics metrics;
    private final String maxPerUser;
    private final long ttlMillis;
    private final long remoteTimeoutMillis;
    private final String channelPrefix;
    /** Sessions whose held messages are on their way from Redis; deliveries queue here. Touched on their loop. */
    private final ConcurrentHashMap<Session, ArrayDeque<Envelope>> syncing = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<Delivery>> pendingAcks = new ConcurrentHashMap<>();
    private final AtomicLong nextCorrelation = new AtomicLong();
    /** Set when a presence update failed (Redis down): the next heartbeat re-announces every local session. */
    private volatile boolean resyncNeeded;

    ClusterRouter(String nodeId, Supplier<RedisAsyncCommands<String, String>> redis, RedisKeys keys,
                  SessionRegistry registry, LocalRouter local, RedisMatchService matches, EnvelopeJson json,
                  GatewayMetrics metrics, int maxHeldPerUser, long holdTtlMillis, long remoteTimeoutMillis) {
        this.nodeId = nodeId;
        this.redis = redis;
        this.keys = keys;
        this.registry = registry;
        this.local = local;
        this.matches = matches;
        this.json = json;
        this.metrics = metrics;
        this.maxPerUser = Integer.toString(maxHeldPerUser);
        this.ttlMillis = holdTtlMillis;
        this.remoteTimeoutMillis = remoteTimeoutMillis;
        this.channelPrefix = keys.channelPrefix();
    }

    // ---------------------------------------------------------------- delivery

    @Override
    public CompletionStage<Delivery> deliver(String toUserId, Envelope envelope) {
        return deliver(toUserId, envelope, null);
    }

    /**
     * A recipient of this node shares the encoded frame ({@code retainedDuplicate}, taken before returning); one on
     * another node gets the envelope's JSON, read from {@code encoded} rather than encoded again.
     */
    @Override
    public CompletionStage<Delivery> deliverEncoded(String toUserId, Envelope envelope, ByteBuf encoded) {
        return deliver(toUserId, envelope, encoded);
    }

    private CompletionStage<Delivery> deliver(String toUserId, Envelope envelope, ByteBuf encoded) {
        final Session session = registry.find(toUserId);
        if (session != null) {
            return deliverLocal(session, envelope, encoded).asStage();
        }
        final String corr = nodeId + '-' + nextCorrelation.incrementAndGet();
        final CompletableFuture<Delivery> result = new CompletableFuture<>();
        pendingAcks.put(corr, result);
        result.whenComplete((d, e) -> pendingAcks.remove(corr));
        final String body = encoded != null
                            ? encoded.toString(encoded.readerIndex(), encoded.readableBytes(), StandardCharsets.UTF_8)
                            : new String(json.toBytes(envelope), StandardCharsets.UTF_8);
        route(toUserId, envelope, body, "D|" + nodeId + '|' + corr + "|0|" + toUserId + '|' + body)
                .whenComplete((outcome, error) -> {
                    if (error != null) {
                        result.completeExceptionally(error);
                    } else if (outcome != null) {
                        result.complete(outcome);
                    } else {
                        // Published: the receiving node's ack completes it, or the timeout does.
                        result.completeOnTimeout(Delivery.DROPPED, remoteTimeoutMillis, TimeUnit.MILLISECONDS);
                    }
                });
        return result;
    }

    /**
     * Runs the route script: completes with the outcome when it is known here ({@code HELD}, or the outcome of a
     * local delivery), or with {@code null} when the envelope was published to another node.
     */
    private CompletionStage<Delivery> route(String toUserId, Envelope envelope, String body, String message) {
        return ROUTE.<String>run(redis.get(), new String[] {keys.presence(toUserId), keys.hold(toUserId)},
                                 nodeId, holdEntry(body), maxPerUser, Long.toString(ttlMillis), channelPrefix,
                                 message)
                    .thenCompose(reply -> {
                        if (reply.startsWith("P")) {
                            return CompletableFuture.completedFuture(null);
                        }
                        if (reply.equals("L")) {
                            // The directory says here: the session registered after our look-up, or just left.
                            final Session session = registry.find(toUserId);
                            if (session != null) {
                                return deliverLocal(session, envelope).asStage();
                            }
                            return hold(toUserId, body);
                        }
                        return Delivery.HELD.asStage();
                    });
    }

    private CompletionStage<Delivery> hold(String userId, String body) {
        return holdEntryAs(userId, holdEntry(body));
    }

    private CompletionStage<Delivery> holdEntryAs(String userId, String entry) {
        return HOLD.run(redis.get(), new String[] {keys.hold(userId)}, entry, maxPerUser, Long.toString(ttlMillis))
                   .thenApply(n -> Delivery.HELD);
    }

    private String holdEntry(String body) {
        return Long.toString(System.currentTimeMillis() + ttlMillis) + '|' + body;
    }

    /** Delivers to a session of this node, behind its held messages if they are still on their way. */
    private Delivery deliverLocal(Session session, Envelope envelope) {
        return deliverLocal(session, envelope, null);
    }

    /**
     * As {@link #deliverLocal(Session, Envelope)}, writing {@code encoded} (if not {@code null}) when the write
     * happens now; a delivery queued behind the hold keeps the envelope, so the buffer is never kept past the call.
     */
    private Delivery deliverLocal(Session session, Envelope envelope, ByteBuf encoded) {
        matches.observe(session.userId(), envelope);
        if (syncing.containsKey(session)) {
            session.channel().eventLoop().execute(() -> {
                final ArrayDeque<Envelope> queue = syncing.get(session);
                if (queue != null) {
                    queue.add(envelope);
                } else {
                    local.deliverNow(session.userId(), envelope);
                }
            });
            return Delivery.LIVE;
        }
        return local.deliverNow(session.userId(), envelope, encoded);
    }

    // ---------------------------------------------------------------- channel messages

    /** A message on this node's channel. Runs on a Lettuce thread. */
    void onMessage(String message) {
        try {
            switch (message.charAt(0)) {
                case 'D' -> onDeliver(message);
                case 'A' -> onAck(message);
                case 'K' -> onKick(message);
                default -> logger.warn("Unknown cluster message kind '{}'", message.charAt(0));
            }
        } catch (RuntimeException | IOException e) {
            logger.warn("Malformed cluster message ignored: {}", e.toString());
        }
    }

    private void onDeliver(String message) throws IOException {
        final String[] f = message.split("\\|", 6);
        final String origin = f[1];
        final String corr = f[2];
        final int hops = Integer.parseInt(f[3]);
        final String to = f[4];
        final String body = f[5];
        final Envelope envelope = json.read(body.getBytes(StandardCharsets.UTF_8));
        final Session session = registry.find(to);
        final CompletionStage<Delivery> outcome;
        if (session != null) {
            outcome = deliverLocal(session, envelope).asStage();
        } else if (hops < MAX_HOPS) {
            // The recipient moved on: forward once; the next node acks the origin itself.
            outcome = route(to, envelope, body,
                            "D|" + origin + '|' + corr + '|' + (hops + 1) + '|' + to + '|' + body);
        } else {
            outcome = hold(to, body);
        }
        outcome.whenComplete((d, error) -> {
            if (d != null || error != null) {
                ack(origin, corr, error != null ? Delivery.DROPPED : d);
            }
        });
    }

    private void ack(String origin, String corr, Delivery delivery) {
        if (origin.equals(nodeId)) {
            complete(corr, delivery);
            return;
        }
        LuaScript.<Long>call(() -> redis.get().publish(keys.channel(origin), "A|" + corr + '|' + delivery.name()))
                 .whenComplete((n, error) -> {
                 if (error != null) {
                     logger.debug("ack to {} lost: {}", origin, error.toString());
                 }
             });
    }

    private void onAck(String message) {
        final int bar = message.indexOf('|', 2);
        complete(message.substring(2, bar), Delivery.valueOf(message.substring(bar + 1)));
    }

    private void complete(String corr, Delivery delivery) {
        final CompletableFuture<Delivery> pending = pendingAcks.remove(corr);
        if (pending != null) {
            pending.complete(delivery);
        }
    }

    private void onKick(String message) {
        final String[] f = message.split("\\|", 3);
        final Session session = registry.find(f[1]);
        if (session != null && connectionId(session).equals(f[2])) {
            metrics.sessionReplaced();
            logger.debug("{} replaced by a connection on another node", session.channel());
            session.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.REPLACED, "replaced"))
                   .addListener(ChannelFutureListener.CLOSE);
        }
    }

    // ---------------------------------------------------------------- presence

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
                          LuaScript.call(() -> redis.get().publish(keys.channel(p[0]), "K|" + userId + '|' + p[1]));
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
        final Channel channel = session.channel();
        if (!channel.isActive()) {
            // Closed while its hold was on the way: put the hold back for its next connection.
            for (Object entry : held) {
                holdEntryAs(session.userId(), (String) entry);
            }
            return;
        }
        final long now = System.currentTimeMillis();
        int expired = 0;
        int written = 0;
        for (Object o : held) {
            final String entry = (String) o;
            final int bar = entry.indexOf('|');
            if (Long.parseLong(entry.substring(0, bar)) < now) {
                expired++;
                continue;
            }
            try {
                final Envelope envelope = json.read(entry.substring(bar + 1).getBytes(StandardCharsets.UTF_8));
                matches.observe(session.userId(), envelope);
                channel.write(envelope);
                written++;
            } catch (IOException e) {
                logger.warn("{} unreadable held message dropped: {}", channel, e.toString());
            }
        }
        if (queued != null) {
            for (Envelope envelope : queued) {
                local.deliverNow(session.userId(), envelope);
            }
        }
        channel.flush();
        if (expired > 0) {
            metrics.offlineExpired(expired);
        }
        if (written > 0) {
            metrics.offlineDelivered(written);
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

    private String presenceValue(Session session) {
        return nodeId + '|' + connectionId(session) + '|' + session.role().wireName();
    }

    private static String connectionId(Session session) {
        return session.channel().id().asShortText();
    }

    /** Deliveries awaiting another node's ack (for tests and stats). */
    int pendingAcks() {
        return pendingAcks.size();
    }
}
