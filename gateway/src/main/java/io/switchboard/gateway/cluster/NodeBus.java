package io.switchboard.gateway.cluster;

import io.switchboard.gateway.chat.Router;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The messages nodes send each other over Redis pub/sub, one channel per node: their wire format, and the
 * correlation of a delivery with its ack.
 *
 * <p>Formats ({@code |}-separated; the envelope JSON last, so it may contain anything; unchanged since cluster mode
 * shipped, so nodes of different versions interoperate during a rolling deploy):
 * {@code D|origin|corrId|hops|toUser|json} deliver, {@code A|corrId|DELIVERY} ack,
 * {@code K|user|connection} close that connection with 4001 (a newer one connected elsewhere), {@code P|node} a
 * node's ping of its own channel (ignored). Added with the
 * customer-service extensions: {@code N|to key json} a live-only notice ({@link Notice}), and, on the queue channel
 * every node subscribes, {@code Q|version|user position...} the queue's changed positions. A node of the previous
 * version logs a warning for an {@code N} and drops it (a typing or read notice lost during a rolling deploy), and
 * does not subscribe the queue channel.
 *
 * <p>A delivery waits for the receiving node's ack naming what it did; no ack within {@code remote-timeout} counts
 * as {@code DROPPED} (the node died mid-way). Thread-safe and non-blocking; messages arrive on a Lettuce thread.
 */
final class NodeBus {

    private static final Logger logger = LoggerFactory.getLogger(NodeBus.class);

    /** A delivery from another node: the recipient, the envelope's JSON as the sender encoded it, and its route. */
    record Deliver(String origin, String corr, int hops, String to, String json) {

        /**
         * Whether the envelope is a {@code normal}, told without a parse: senders encode compact JSON with the
         * protocol's codec, and a {@code "type"} key right after {@code {} or {@code ,} cannot be inside a string
         * value, where every quote is escaped.
         */
        boolean isNormal() {
            return json.contains(",\"type\":\"normal\"") || json.startsWith("{\"type\":\"normal\"");
        }

        /** The same delivery, forwarded once more. */
        Deliver forwarded() {
            return new Deliver(origin, corr, hops + 1, to, json);
        }

        /** As a channel message. */
        String message() {
            return "D|" + origin + '|' + corr + '|' + hops + '|' + to + '|' + json;
        }
    }

    /**
     * A live-only notice ({@code Router.notify}): written to the recipient's connection if it is here and keeps up;
     * else, with a {@code key}, kept in Redis for its next connection, else dropped. UserIds and keys have no
     * whitespace ({@code PROTOCOL.md} §1), so spaces separate them.
     */
    record Notice(String to, String key, String json) {

        /** As a channel message: {@code N|to key json} ({@code key} empty for a plain notice). */
        String message() {
            return "N|" + to + ' ' + (key == null ? "" : key) + ' ' + json;
        }

        /** Whether it is kept for an offline recipient. */
        boolean keep() {
            return key != null && !key.isEmpty();
        }

        static Notice parse(String message) {
            final int a = message.indexOf(' ', 2);
            final int b = message.indexOf(' ', a + 1);
            return new Notice(message.substring(2, a), message.substring(a + 1, b), message.substring(b + 1));
        }
    }

    /** A delivery on its way: the message to publish and the stage its ack completes. */
    record Outgoing(Deliver deliver, CompletableFuture<Router.Delivery> acked) {}

    private final String nodeId;
    private final BiFunction<String, String, CompletionStage<Long>> publisher;
    private final RedisKeys keys;
    private final long remoteTimeoutMillis;
    private final ConcurrentHashMap<String, CompletableFuture<Router.Delivery>> pendingAcks = new ConcurrentHashMap<>();
    private final AtomicLong nextCorrelation = new AtomicLong();

    /**
     * @param publisher publishes a message to a node channel ({@link ClusterRedis#publish}), completing with the
     *                  receivers counted
     */
    NodeBus(String nodeId, BiFunction<String, String, CompletionStage<Long>> publisher, RedisKeys keys,
            long remoteTimeoutMillis) {
        this.nodeId = nodeId;
        this.publisher = publisher;
        this.keys = keys;
        this.remoteTimeoutMillis = remoteTimeoutMillis;
    }

    /** A new delivery from this node to {@code to}, awaiting its ack. */
    Outgoing open(String to, String json) {
        final String corr = nodeId + '-' + nextCorrelation.incrementAndGet();
        final CompletableFuture<Router.Delivery> acked = new CompletableFuture<>();
        pendingAcks.put(corr, acked);
        acked.whenComplete((d, e) -> pendingAcks.remove(corr));
        return new Outgoing(new Deliver(nodeId, corr, 0, to, json), acked);
    }

    /** The delivery was published: its ack completes it, or {@code remote-timeout} does with {@code DROPPED}. */
    void awaitAck(Outgoing outgoing) {
        outgoing.acked.completeOnTimeout(Router.Delivery.DROPPED, remoteTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Tells the origin of a delivery what became of it. */
    void ack(Deliver deliver, Router.Delivery outcome) {
        if (deliver.origin.equals(nodeId)) {
            complete(deliver.corr, outcome);
            return;
        }
        publish(deliver.origin, "A|" + deliver.corr + '|' + outcome.name());
    }

    /** Asks {@code node} to close its connection {@code connection} of {@code userId} with 4001. */
    void kick(String node, String userId, String connection) {
        publish(node, "K|" + userId + '|' + connection);
    }

    /** Publishes a delivery to {@code node}'s channel; completes with the receivers counted. */
    CompletionStage<Long> publish(String node, Deliver deliver) {
        return LuaScript.call(() -> publisher.apply(keys.channel(node), deliver.message()));
    }

    /** Publishes a notice to {@code node}'s channel; completes with the receivers counted. */
    CompletionStage<Long> publish(String node, Notice notice) {
        return LuaScript.call(() -> publisher.apply(keys.channel(node), notice.message()));
    }

    /** The ping a node publishes to its own channel to check that it is subscribed ({@code P|node}). */
    String ping() {
        return "P|" + nodeId;
    }

    private void publish(String node, String message) {
        LuaScript.call(() -> publisher.apply(keys.channel(node), message))
                 .whenComplete((n, error) -> {
                     if (error != null) {
                         logger.debug("message to node {} lost: {}", node, error.toString());
                     }
                 });
    }

    /**
     * A message on this node's channel (on a Lettuce thread): acks complete their delivery here; deliveries and
     * kicks ({@code userId}, {@code connection}) go to the given handlers.
     */
    void receive(String message, Consumer<Deliver> deliveries, BiConsumer<String, String> kicks) {
        receive(message, deliveries, kicks, notice -> { }, positions -> { });
    }

    /**
     * As above, with the kinds of the customer-service extensions: live-only notices, and the queue's positions
     * (given as the whole message).
     */
    void receive(String message, Consumer<Deliver> deliveries, BiConsumer<String, String> kicks,
                 Consumer<Notice> notices, Consumer<String> positions) {
        try {
            switch (message.charAt(0)) {
                case 'D' -> {
                    final String[] f = message.split("\\|", 6);
                    deliveries.accept(new Deliver(f[1], f[2], Integer.parseInt(f[3]), f[4], f[5]));
                }
                case 'A' -> {
                    final int bar = message.indexOf('|', 2);
                    complete(message.substring(2, bar), Router.Delivery.valueOf(message.substring(bar + 1)));
                }
                case 'K' -> {
                    final String[] f = message.split("\\|", 3);
                    kicks.accept(f[1], f[2]);
                }
                case 'N' -> notices.accept(Notice.parse(message));
                case 'Q' -> positions.accept(message);
                case 'P' -> { } // a node's check of its own subscription
                default -> logger.warn("Unknown cluster message kind '{}'", message.charAt(0));
            }
        } catch (RuntimeException e) {
            logger.warn("Malformed cluster message ignored: {}", e.toString());
        }
    }

    private void complete(String corr, Router.Delivery delivery) {
        final CompletableFuture<Router.Delivery> pending = pendingAcks.remove(corr);
        if (pending != null) {
            pending.complete(delivery);
        }
    }
}
