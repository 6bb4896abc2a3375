package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.netty.buffer.ByteBuf;
import io.switchboard.gateway.chat.LocalDelivery;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster {@link Router}: a recipient connected here takes the local path ({@link RedisPresence#deliverHere}, no
 * Redis at all). Otherwise a Lua script looks up its presence and the envelope is published to the node holding it
 * ({@link NodeBus}: by the script with classic pub/sub, by this class with shard channels, whose slot a script in the
 * recipient's slot cannot reach), or (no presence, or nobody subscribed to that node's channel) a second script appends
 * it to the recipient's {@link RedisHold}, unless it has just become present elsewhere, and answers {@code HELD}. That
 * second script is a {@linkplain ClusterRedis#durable durable} write. A published delivery completes with the receiving
 * node's ack, so "push success" still means "written to the recipient's live connection"; no ack within
 * {@code remote-timeout} is {@code DROPPED}, which the sender sees as {@code UNAVAILABLE}.
 *
 * <p>The envelope's JSON is encoded once, on the sending node, and written as it came on the receiving one.
 * Thread-safe and non-blocking.
 */
final class ClusterRouter implements Router {

    private static final Logger logger = LoggerFactory.getLogger(ClusterRouter.class);

    /** A delivery may be forwarded once when its recipient moved between lookup and arrival. */
    private static final int MAX_HOPS = 1;

    /**
     * The Lua expression for the channel of {@code node} ({@link RedisKeys#channel}), given the prefix in
     * {@code pre}; Lua's {@code #} counts bytes, as {@link RedisKeys} does for node ids.
     */
    private static final String CHANNEL = "pre .. '{n' .. #node .. ':' .. node .. '}:ch'";

    /**
     * KEYS presence; ARGV this node, prefix, channel message, publish here ('1' with classic pub/sub; '0' with shard
     * channels, which a script in the recipient's slot cannot reach), a node to skip. Returns 'L' (the presence is
     * this node's), 'P'..node (published, someone listened), 'N'..node (publish it there yourself), 'X'..node
     * (published, nobody listened) or 'H' (no presence, or the node to skip).
     */
    private static final LuaScript LOCATE = new LuaScript("""
            local p = redis.call('GET', KEYS[1])
            if not p then return 'H' end
            local node = string.match(p, '^([^|]*)|')
            if node == ARGV[1] then return 'L' end
            if node == ARGV[5] then return 'H' end
            if ARGV[4] == '0' then return 'N' .. node end
            local pre = ARGV[2]
            if redis.call('PUBLISH', %s, ARGV[3]) > 0 then return 'P' .. node end
            return 'X' .. node
            """.formatted(CHANNEL), ScriptOutputType.STATUS);

    /**
     * KEYS presence, hold; ARGV this node, hold entry, max per user, ttl ms, a node to skip (that nobody listened
     * at). Holds the message unless the recipient is present on a node other than the one to skip: returns 'H'
     * (held), 'L' (the presence is this node's) or 'N'..node (it is present there now).
     */
    private static final LuaScript HOLD_UNLESS_PRESENT = new LuaScript("""
            local p = redis.call('GET', KEYS[1])
            if p then
              local node = string.match(p, '^([^|]*)|')
              if node == ARGV[1] then return 'L' end
              if node ~= ARGV[5] then return 'N' .. node end
            end
            redis.call('RPUSH', KEYS[2], ARGV[2])
            redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
            redis.call('PEXPIRE', KEYS[2], ARGV[4])
            return 'H'
            """, ScriptOutputType.STATUS);

    /**
     * KEYS presence, kept notices; ARGV this node, prefix, channel message, publish here, key ('' for none),
     * envelope JSON, ttl ms. A live-only notice: published to the node holding the recipient (or 'N'..node: publish
     * it there yourself), else kept under its key (the newest per key), else dropped. Returns 'P' (published), 'L'
     * (the presence is this node's), 'N'..node, 'K' (kept) or 'D'.
     */
    private static final LuaScript NOTIFY = new LuaScript("""
            local p = redis.call('GET', KEYS[1])
            if p then
              local node = string.match(p, '^([^|]*)|')
              if node == ARGV[1] then return 'L' end
              if ARGV[4] == '0' then return 'N' .. node end
              local pre = ARGV[2]
              if redis.call('PUBLISH', %s, ARGV[3]) > 0 then return 'P' end
            end
            if ARGV[5] == '' then return 'D' end
            redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
            redis.call('PEXPIRE', KEYS[2], ARGV[7])
            return 'K'
            """.formatted(CHANNEL), ScriptOutputType.STATUS);

    /** KEYS kept notices; ARGV key, envelope JSON, ttl ms. */
    private static final LuaScript KEEP = new LuaScript("""
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return 'K'
            """, ScriptOutputType.STATUS);

    /** The scripts on the delivery path, loaded when the node connects (see {@link LuaScript#load}). */
    static final List<LuaScript> SCRIPTS = List.of(LOCATE, HOLD_UNLESS_PRESENT, NOTIFY, KEEP);

    private final String nodeId;
    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final SessionRegistry registry;
    private final LocalDelivery local;
    private final RedisPresence presence;
    private final RedisHold hold;
    private final NodeBus bus;
    private final EnvelopeJson json;
    /** Recipient → the end of the last route to it in flight from this node ({@link #routeInOrder}). */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    ClusterRouter(String nodeId, ClusterRedis redis, RedisKeys keys, SessionRegistry registry, LocalDelivery local,
                  RedisPresence presence, RedisHold hold, NodeBus bus, EnvelopeJson json) {
        this.nodeId = nodeId;
        this.redis = redis;
        this.keys = keys;
        this.registry = registry;
        this.local = local;
        this.presence = presence;
        this.hold = hold;
        this.bus = bus;
        this.json = json;
    }

    /**
     * A recipient of this node shares the encoded frame ({@code retainedDuplicate}, taken before returning); one on
     * another node gets the envelope's JSON, read from {@code encoded} rather than encoded again.
     */
    @Override
    public CompletionStage<Delivery> deliverEncoded(String toUserId, Envelope envelope, ByteBuf encoded) {
        final Session session = registry.find(toUserId);
        if (session != null) {
            return presence.deliverHere(session, envelope, encoded);
        }
        final Delivery behind = local.behindHandOver(toUserId, envelope);
        if (behind != null) {
            return behind.asStage(); // its session here just ended: after what this node still hands over for it
        }
        return route(toUserId, envelope, encoded);
    }

    /**
     * Routes a message this node held for a user whose session here ended ({@link LocalDelivery#handOver}): as
     * {@link #deliverEncoded}, but never back into the hold being handed over.
     */
    CompletionStage<Delivery> handedOver(String toUserId, Envelope envelope) {
        final Session session = registry.find(toUserId);
        if (session != null) {
            return presence.deliverHere(session, envelope, null);
        }
        return route(toUserId, envelope, null);
    }

    private CompletionStage<Delivery> route(String toUserId, Envelope envelope, ByteBuf encoded) {
        final String body = encoded != null
                            ? encoded.toString(encoded.readerIndex(), encoded.readableBytes(), StandardCharsets.UTF_8)
                            : new String(json.toBytes(envelope), StandardCharsets.UTF_8);
        final NodeBus.Outgoing outgoing = bus.open(toUserId, body);
        routeInOrder(outgoing.deliver(), here -> presence.deliverHere(here, envelope, null))
                .whenComplete((outcome, error) -> {
                    if (error != null) {
                        outgoing.acked().completeExceptionally(error);
                    } else if (outcome != null) {
                        outgoing.acked().complete(outcome);
                    } else {
                        bus.awaitAck(outgoing);
                    }
                });
        return outgoing.acked();
    }

    /**
     * Routes deliveries to one recipient from this node one after the other: a route takes one to three steps
     * (look-up, publish, hold unless present), and a later message must not take a shorter path past an earlier one
     * (held while the earlier is still being looked up, or published while the earlier is being held and then
     * published). The next route to the same recipient starts once this one is published, held or delivered here;
     * routes to different recipients run side by side. The map holds one entry per recipient with a route in flight.
     */
    private CompletionStage<Delivery> routeInOrder(NodeBus.Deliver deliver,
                                                   Function<Session, CompletionStage<Delivery>> deliverHere) {
        final String to = deliver.to();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final CompletableFuture<Void> previous = inFlight.put(to, done);
        final CompletionStage<Delivery> routed = previous == null
                ? route(deliver, deliverHere)
                : previous.thenCompose(v -> route(deliver, deliverHere));
        routed.whenComplete((d, error) -> {
            inFlight.remove(to, done);
            done.complete(null);
        });
        return routed;
    }

    /**
     * Routes a delivery: completes with the outcome when it is known here ({@code HELD}, or the outcome of a local
     * delivery), or with {@code null} when it was published to another node, whose ack completes it. The look-up
     * runs on the command connection; a hold (which backs a promise) is a durable write that looks again first.
     *
     * @param deliverHere delivers to the recipient's session here, when the directory says it is here and it is
     */
    private CompletionStage<Delivery> route(NodeBus.Deliver deliver,
                                            Function<Session, CompletionStage<Delivery>> deliverHere) {
        final String to = deliver.to();
        return LOCATE.<String>run(redis.async(), new String[] {keys.presence(to)}, nodeId, keys.prefix,
                                  deliver.message(), redis.sharded() ? "0" : "1", "")
                     .thenCompose(reply -> switch (reply.charAt(0)) {
                         case 'P' -> CompletableFuture.<Delivery>completedFuture(null);
                         case 'L' -> here(deliver, deliverHere);
                         case 'N' -> publish(reply.substring(1), deliver, deliverHere, true);
                         case 'X' -> holdUnlessPresent(deliver, deliverHere, reply.substring(1), true);
                         default -> holdUnlessPresent(deliver, deliverHere, "", true);
                     });
    }

    /** Publishes to {@code node}'s channel; if nobody listens there, holds it unless the recipient moved meanwhile. */
    private CompletionStage<Delivery> publish(String node, NodeBus.Deliver deliver,
                                              Function<Session, CompletionStage<Delivery>> deliverHere,
                                              boolean mayLookAgain) {
        return bus.publish(node, deliver).thenCompose(n -> n > 0
                ? CompletableFuture.completedFuture(null)
                : holdUnlessPresent(deliver, deliverHere, node, mayLookAgain));
    }

    /**
     * Holds the delivery (a durable write) unless the recipient is now present on a node other than {@code skip}; if
     * it is and {@code mayLookAgain}, publishes there once more; else holds it as it is.
     */
    private CompletionStage<Delivery> holdUnlessPresent(NodeBus.Deliver deliver,
                                                        Function<Session, CompletionStage<Delivery>> deliverHere,
                                                        String skip, boolean mayLookAgain) {
        final String to = deliver.to();
        final String presence = keys.presence(to);
        final String hold = keys.hold(to);
        final String entry = this.hold.entry(deliver.json());
        return redis.durable(hold, c -> HOLD_UNLESS_PRESENT.<String>run(c, new String[] {presence, hold}, nodeId,
                                                                          entry, this.hold.maxPerUser(),
                                                                          this.hold.ttlMillis(), skip))
                    .thenCompose(reply -> switch (reply.charAt(0)) {
                        case 'H' -> Delivery.HELD.asStage();
                        case 'L' -> here(deliver, deliverHere);
                        default -> mayLookAgain ? publish(reply.substring(1), deliver, deliverHere, false)
                                                : this.hold.holdJson(to, deliver.json());
                    });
    }

    /** The directory says here: the session registered after our look-up, or just left. */
    private CompletionStage<Delivery> here(NodeBus.Deliver deliver,
                                           Function<Session, CompletionStage<Delivery>> deliverHere) {
        final Session here = registry.find(deliver.to());
        if (here != null) {
            return deliverHere.apply(here);
        }
        return hold.holdJson(deliver.to(), deliver.json());
    }

    /**
     * A recipient of this node gets it at once; one on another node through that node's channel ({@code N}, never
     * acked: a notice lost with a dying node is not worth a round trip).
     */
    @Override
    public void notify(String toUserId, Envelope envelope) {
        notice(toUserId, null, envelope);
    }

    /**
     * As {@link #notify}; a recipient connected nowhere, or not keeping up, keeps the newest notice per key in
     * {@code kept:<user>} (a hash with the offline TTL), which the attach script hands to its next connection on any
     * node, after what was held for it.
     */
    @Override
    public void notifyOrKeep(String toUserId, String key, Envelope envelope) {
        notice(toUserId, key, envelope);
    }

    private void notice(String toUserId, String key, Envelope envelope) {
        final Session session = registry.find(toUserId);
        if (session != null) {
            if (!presence.notifyHere(session, envelope) && key != null) {
                keep(toUserId, key, new String(json.toBytes(envelope), StandardCharsets.UTF_8));
            }
            return;
        }
        final NodeBus.Notice notice = new NodeBus.Notice(toUserId, key,
                                                         new String(json.toBytes(envelope), StandardCharsets.UTF_8));
        NOTIFY.<String>run(redis.async(), new String[] {keys.presence(toUserId), keys.kept(toUserId)}, nodeId,
                           keys.prefix, notice.message(), redis.sharded() ? "0" : "1", key == null ? "" : key,
                           notice.json(), hold.ttlMillis())
              .whenComplete((reply, error) -> {
                  if (error != null) {
                      logger.debug("notice to userId={} lost: {}", toUserId, error.toString());
                  } else if ("L".equals(reply)) {
                      onNotice(notice); // the directory says here: it registered after our look-up, or just left
                  } else if (reply.startsWith("N")) {
                      bus.publish(reply.substring(1), notice).whenComplete((n, e) -> {
                          if ((e != null || n == 0) && notice.keep()) {
                              keep(toUserId, notice.key(), notice.json()); // nobody listens there
                          }
                      });
                  }
              });
    }

    /** A live-only notice from another node (on a Lettuce thread), or one the directory placed here. */
    void onNotice(NodeBus.Notice notice) {
        final Session session = registry.find(notice.to());
        if (session != null && presence.notifyHere(session, presence.decodeEnvelope(notice.json()))) {
            return;
        }
        if (notice.keep()) {
            keep(notice.to(), notice.key(), notice.json());
        }
    }

    private void keep(String toUserId, String key, String body) {
        KEEP.run(redis.async(), new String[] {keys.kept(toUserId)}, key, body, hold.ttlMillis())
            .whenComplete((reply, error) -> {
                if (error != null) {
                    logger.debug("notice kept for userId={} lost: {}", toUserId, error.toString());
                }
            });
    }

    /** A delivery from another node (on a Lettuce thread): delivered here, forwarded once, or held; then acked. */
    void onDeliver(NodeBus.Deliver deliver) {
        final Session session = registry.find(deliver.to());
        final CompletionStage<Delivery> outcome;
        final Delivery behind;
        if (session != null) {
            outcome = presence.deliverHere(session, deliver);
        } else if (local.holds(deliver.to())
                   && (behind = local.behindHandOver(deliver.to(), presence.decodeEnvelope(deliver.json()))) != null) {
            outcome = behind.asStage(); // its session here just ended: after what this node still hands over for it
        } else if (deliver.hops() < MAX_HOPS) {
            // The recipient moved on: forward once; the next node acks the origin itself.
            final NodeBus.Deliver forwarded = deliver.forwarded();
            outcome = routeInOrder(forwarded, here -> presence.deliverHere(here, forwarded));
        } else {
            outcome = hold.holdJson(deliver.to(), deliver.json());
        }
        outcome.whenComplete((d, error) -> {
            if (d != null || error != null) {
                bus.ack(deliver, error != null ? Delivery.DROPPED : d);
            }
        });
    }
}
