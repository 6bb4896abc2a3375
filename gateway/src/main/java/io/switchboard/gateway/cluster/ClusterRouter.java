package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.buffer.ByteBuf;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster {@link Router}: a recipient connected here takes the local path ({@link RedisPresence#deliverHere},
 * no Redis at all). Otherwise one Lua script looks up its presence and either {@code PUBLISH}es the envelope to the
 * node holding it ({@link NodeBus}), or (no presence, or nobody subscribed to that node's channel) appends it to the
 * recipient's {@link RedisHold} and answers {@code HELD}. A published delivery completes with the receiving node's
 * ack, so "push success" still means "written to the recipient's live connection"; no ack within
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

    /**
     * KEYS presence, kept notices; ARGV this node, channel prefix, channel message, key ('' for none), envelope
     * JSON, ttl ms. A live-only notice: published to the node holding the recipient, else kept under its key (the
     * newest per key), else dropped. Returns 'P' (published), 'L' (the presence is this node's), 'K' (kept) or 'D'.
     */
    private static final LuaScript NOTIFY = new LuaScript("""
            local p = redis.call('GET', KEYS[1])
            if p then
              local node = string.match(p, '^([^|]*)|')
              if node == ARGV[1] then return 'L' end
              if redis.call('PUBLISH', ARGV[2] .. node, ARGV[3]) > 0 then return 'P' end
            end
            if ARGV[4] == '' then return 'D' end
            redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
            redis.call('PEXPIRE', KEYS[2], ARGV[6])
            return 'K'
            """, ScriptOutputType.STATUS);

    /** KEYS kept notices; ARGV key, envelope JSON, ttl ms. */
    private static final LuaScript KEEP = new LuaScript("""
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return 'K'
            """, ScriptOutputType.STATUS);

    /** The scripts on the delivery path, loaded when the node connects (see {@link LuaScript#load}). */
    static final List<LuaScript> SCRIPTS = List.of(ROUTE, NOTIFY, KEEP);

    private final String nodeId;
    private final Supplier<RedisAsyncCommands<String, String>> redis;
    private final RedisKeys keys;
    private final SessionRegistry registry;
    private final RedisPresence presence;
    private final RedisHold hold;
    private final NodeBus bus;
    private final EnvelopeJson json;

    ClusterRouter(String nodeId, Supplier<RedisAsyncCommands<String, String>> redis, RedisKeys keys,
                  SessionRegistry registry, RedisPresence presence, RedisHold hold, NodeBus bus, EnvelopeJson json) {
        this.nodeId = nodeId;
        this.redis = redis;
        this.keys = keys;
        this.registry = registry;
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
        final String body = encoded != null
                            ? encoded.toString(encoded.readerIndex(), encoded.readableBytes(), StandardCharsets.UTF_8)
                            : new String(json.toBytes(envelope), StandardCharsets.UTF_8);
        final NodeBus.Outgoing outgoing = bus.open(toUserId, body);
        route(outgoing.deliver(), here -> presence.deliverHere(here, envelope, null))
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
     * Runs the route script: completes with the outcome when it is known here ({@code HELD}, or the outcome of a
     * local delivery), or with {@code null} when the delivery was published to another node.
     *
     * @param deliverHere delivers to the recipient's session here, when the directory says it is here and it is
     */
    private CompletionStage<Delivery> route(NodeBus.Deliver deliver,
                                            Function<Session, CompletionStage<Delivery>> deliverHere) {
        final String to = deliver.to();
        return ROUTE.<String>run(redis.get(), new String[] {keys.presence(to), keys.hold(to)},
                                 nodeId, hold.entry(deliver.json()), hold.maxPerUser(), hold.ttlMillis(),
                                 keys.channelPrefix(), deliver.message())
                    .thenCompose(reply -> {
                        if (reply.startsWith("P")) {
                            return CompletableFuture.completedFuture(null);
                        }
                        if (reply.equals("L")) {
                            // The directory says here: the session registered after our look-up, or just left.
                            final Session here = registry.find(to);
                            if (here != null) {
                                return deliverHere.apply(here);
                            }
                            return hold.holdJson(to, deliver.json());
                        }
                        return Delivery.HELD.asStage();
                    });
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
        NOTIFY.<String>run(redis.get(), new String[] {keys.presence(toUserId), keys.kept(toUserId)}, nodeId,
                           keys.channelPrefix(), notice.message(), key == null ? "" : key, notice.json(),
                           hold.ttlMillis())
              .whenComplete((reply, error) -> {
                  if (error != null) {
                      logger.debug("notice to userId={} lost: {}", toUserId, error.toString());
                  } else if ("L".equals(reply)) {
                      onNotice(notice); // the directory says here: it registered after our look-up, or just left
                  }
              });
    }

    /** A live-only notice from another node (on a Lettuce thread), or one the directory placed here. */
    void onNotice(NodeBus.Notice notice) {
        final Session session = registry.find(notice.to());
        if (session != null && presence.notifyHere(session, presence.decodeNotice(notice.json()))) {
            return;
        }
        if (notice.keep()) {
            keep(notice.to(), notice.key(), notice.json());
        }
    }

    private void keep(String toUserId, String key, String body) {
        KEEP.run(redis.get(), new String[] {keys.kept(toUserId)}, key, body, hold.ttlMillis())
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
        if (session != null) {
            outcome = presence.deliverHere(session, deliver);
        } else if (deliver.hops() < MAX_HOPS) {
            // The recipient moved on: forward once; the next node acks the origin itself.
            final NodeBus.Deliver forwarded = deliver.forwarded();
            outcome = route(forwarded, here -> presence.deliverHere(here, forwarded));
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
