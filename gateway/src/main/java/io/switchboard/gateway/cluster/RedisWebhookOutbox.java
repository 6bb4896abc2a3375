package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.webhook.WebhookOutbox;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster node's webhook outbox ({@code docs/WEBHOOKS.md}, "The outbox"; {@code docs/CLUSTER.md}): the node's
 * queued webhook events in one Redis hash, {@link RedisKeys#outbox}, so that they outlive the node.
 *
 * <ul>
 *   <li><b>Writes</b> ({@link #added}, {@link #attempted}, {@link #removed}) are fire and forget: the caller (an event
 *       loop) only enqueues a task on a bounded single-thread writer ({@code sb-outbox}), which serializes the body
 *       and issues the asynchronous Lettuce command, in order (one thread, one multiplexed connection: an entry's
 *       removal never overtakes its addition). A write that Redis refuses, or that the full writer queue refuses, is
 *       counted ({@link #failed()}) and logged at most once per 10 s: its event is still delivered from memory, but is
 *       not durable (or, for a removal, may be sent again by whoever restores the entry).</li>
 *   <li><b>Start</b> ({@link #start}): a node restarted with the same node id re-joins the node set and reads its own
 *       entries in one script, and queues them again.</li>
 *   <li><b>Take-over</b> ({@link #takeOver}): the node that reaps a dead node moves the dead node's entries into its
 *       own hash in one script ({@code TAKE}), renumbered to seqs its dispatcher reserved (so they cannot collide with
 *       its own), and queues them; unless the dead node re-joined meanwhile (same node id), in which case they are
 *       its own again.</li>
 * </ul>
 *
 * <p>Thread-safe; every method but {@link #start} and {@link #close} is non-blocking and safe to call from an event
 * loop.
 */
final class RedisWebhookOutbox implements WebhookOutbox, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(RedisWebhookOutbox.class);
    /** Writes waiting for the writer thread; past it a write is refused and counted. */
    static final int WRITER_QUEUE_CAPACITY = 65_536;
    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Seqs reserved beyond the dead node's entry count, for entries that reach it between HLEN and TAKE. */
    private static final int TAKE_SLACK = 64;
    private static final int TAKE_ATTEMPTS = 3;
    private static final long TAKE_CAME_BACK = -1;
    private static final long TAKE_GREW = -2;

    /** KEYS outbox; ARGV field, first-attempt ms. Sets the entry's third field, if the entry is still there. */
    private static final LuaScript ATTEMPTED = new LuaScript("""
            local v = redis.call('HGET', KEYS[1], ARGV[1])
            if not v then return 0 end
            local id, event, body = string.match(v, '^([^|]*)|([^|]*)|[^|]*|(.*)$')
            if not id then return 0 end
            redis.call('HSET', KEYS[1], ARGV[1], id .. '|' .. event .. '|' .. ARGV[2] .. '|' .. body)
            return 1
            """, ScriptOutputType.INTEGER);

    /**
     * KEYS nodes, this node's outbox; ARGV node, deadline offset ms. Puts the node back in the node set (so that a
     * node that reaped its previous incarnation and has not run its take-over yet leaves the entries alone: see
     * {@code TAKE}) and returns its entries, {field, value, ...}.
     */
    private static final LuaScript REJOIN = new LuaScript("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            return redis.call('HGETALL', KEYS[2])
            """, ScriptOutputType.MULTI);

    /**
     * KEYS nodes, the dead node's outbox, this node's outbox; ARGV dead node, first reserved seq, reserved count.
     * Returns {-1} if the dead node is in the node set again (it restarted: the entries are its own), {-2, count} if
     * it has more entries than seqs were reserved (nothing moved), else {0, field, value, ...}: every entry, moved
     * into this node's outbox as {@code url|newSeq}, the new seqs given in (url, old seq) order so that each URL's
     * entries keep their order.
     */
    private static final LuaScript TAKE = new LuaScript("""
            if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {-1} end
            local all = redis.call('HGETALL', KEYS[2])
            if #all / 2 > tonumber(ARGV[3]) then return {-2, #all / 2} end
            local entries = {}
            for i = 1, #all, 2 do
              local url, seq = string.match(all[i], '^(.*)|(%d+)$')
              if url then entries[#entries + 1] = {url, tonumber(seq), all[i + 1]} end
            end
            table.sort(entries, function(a, b)
              if a[1] ~= b[1] then return a[1] < b[1] end
              return a[2] < b[2]
            end)
            local out = {0}
            local base = tonumber(ARGV[2])
            for i, e in ipairs(entries) do
              local field = e[1] .. '|' .. string.format('%d', base + i - 1)
              redis.call('HSET', KEYS[3], field, e[3])
              out[#out + 1] = field
              out[#out + 1] = e[3]
            end
            redis.call('DEL', KEYS[2])
            return out
            """, ScriptOutputType.MULTI);

    private final String nodeId;
    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final String own;
    private final GatewayMetrics metrics;
    private final ThreadPoolExecutor writer;
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong failedSinceLog = new AtomicLong();
    private final AtomicLong lastFailureLogNanos = new AtomicLong(System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS);
    /** The last command the writer issued: Lettuce completes a connection's commands in order. */
    private volatile CompletionStage<?> last = CompletableFuture.completedFuture(null);
    private volatile Receiver receiver;

    RedisWebhookOutbox(String nodeId, ClusterRedis redis, RedisKeys keys,
                       GatewayMetrics metrics) {
        this.nodeId = nodeId;
        this.redis = redis;
        this.keys = keys;
        this.own = keys.outbox(nodeId);
        this.metrics = metrics;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                                             new ArrayBlockingQueue<>(WRITER_QUEUE_CAPACITY), r -> {
                                                 final Thread t = new Thread(r, "sb-outbox");
                                                 t.setDaemon(true);
                                                 return t;
                                             });
    }

    @Override
    public boolean durable() {
        return true;
    }

    /** Non-blocking; safe to call from an event loop. The body is serialized on the writer thread. */
    @Override
    public void added(String url, long seq, String deliveryId, String event, Supplier<String> body) {
        final String field = field(url, seq);
        submit(() -> {
            final String text;
            try {
                text = body.get();
            } catch (RuntimeException e) {
                return; // the sender drops an event it cannot serialize
            }
            issue(() -> redis.async().hset(own, field, deliveryId + '|' + event + "|0|" + text));
        });
    }

    /** Non-blocking; safe to call from an event loop. */
    @Override
    public void attempted(String url, long seq, long firstAttemptMillis) {
        final String field = field(url, seq);
        submit(() -> issue(() -> ATTEMPTED.run(redis.async(), new String[] {own}, field,
                                               Long.toString(firstAttemptMillis))));
    }

    /** Non-blocking; safe to call from an event loop. */
    @Override
    public void removed(String url, long seq) {
        final String field = field(url, seq);
        submit(() -> issue(() -> redis.async().hdel(own, field)));
    }

    /**
     * Nothing: the dispatcher is built before the node reaches Redis. A node's own entries are queued by
     * {@link #start} once it is connected.
     */
    @Override
    public List<Entry> load() {
        return List.of();
    }

    /**
     * Re-joins the node set and queues this node's own entries (those of its previous run under the same node id) on
     * {@code receiver}, which then also gets the entries of the dead nodes this node takes over. Call once, after
     * connecting and before the heartbeat starts (a take-over reserves seqs above the restored ones). Blocks the
     * calling thread, never an event loop.
     *
     * @throws IllegalStateException if Redis does not answer
     */
    void start(Receiver receiver, long ttlMillis) {
        this.receiver = receiver;
        final List<Object> reply;
        try {
            reply = REJOIN.<List<Object>>run(redis.async(), new String[] {keys.nodes(), own}, nodeId,
                                             Long.toString(ttlMillis))
                          .toCompletableFuture().get(ClusterRedis.COMMAND_TIMEOUT.toMillis() * 2,
                                                     TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the webhook outbox", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read this node's webhook outbox: " + e, e);
        }
        final List<Entry> entries = entries(reply, 0);
        // A hash has no order: each URL's entries go back in the order they were queued, as WebhookOutbox promises.
        entries.sort(Comparator.comparing(Entry::url).thenComparingLong(Entry::seq));
        if (!entries.isEmpty()) {
            receiver.restore(entries, "this node's previous run");
        }
    }

    /**
     * Takes over the outbox of {@code deadNode}, which this node has just claimed (the heartbeat's {@code ZREM}):
     * moves its entries into this node's outbox and queues them. Non-blocking; runs on a Lettuce thread.
     */
    CompletionStage<Void> takeOver(String deadNode) {
        final Receiver r = receiver;
        if (r == null) {
            return CompletableFuture.completedFuture(null);
        }
        return LuaScript.<Long>call(() -> redis.async().hlen(keys.outbox(deadNode)))
                        .thenCompose(n -> take(deadNode, r, n, 1))
                        .whenComplete((v, error) -> {
                            if (error != null) {
                                logger.warn("Taking over the webhook outbox of node {} failed (it stays in Redis "
                                            + "until that node restarts): {}", deadNode, error.toString());
                            }
                        });
    }

    private CompletionStage<Void> take(String deadNode, Receiver r, long size, int attempt) {
        if (size == 0) {
            return CompletableFuture.completedFuture(null);
        }
        final int count = (int) Math.min(Integer.MAX_VALUE - TAKE_SLACK, size) + TAKE_SLACK;
        final long base = r.reserveSeqs(count);
        return TAKE.<List<Object>>run(redis.async(), new String[] {keys.nodes(), keys.outbox(deadNode), own}, deadNode,
                                      Long.toString(base), Integer.toString(count))
                   .thenCompose(reply -> {
                       final long code = (Long) reply.get(0);
                       if (code == TAKE_CAME_BACK) {
                           logger.info("Node {} is back: its webhook outbox is its own", deadNode);
                       } else if (code == TAKE_GREW && attempt < TAKE_ATTEMPTS) {
                           return take(deadNode, r, (Long) reply.get(1), attempt + 1);
                       } else if (code == TAKE_GREW) {
                           logger.warn("The webhook outbox of node {} keeps growing (is it alive?): not taken over",
                                       deadNode);
                       } else {
                           final List<Entry> entries = entries(reply, 1);
                           logger.info("Node {} took over {} webhook events of node {}", nodeId, entries.size(),
                                       deadNode);
                           r.restore(entries, "node " + deadNode);
                       }
                       return CompletableFuture.completedFuture(null);
                   });
    }

    /**
     * Where entries go on a node whose webhooks are off: nowhere. They are removed and counted as
     * {@code url_removed}, as entries of a URL the node does not have.
     */
    Receiver discarding() {
        final AtomicLong seqs = new AtomicLong(1);
        return new Receiver() {
            @Override
            public long reserveSeqs(int count) {
                return seqs.getAndAdd(count);
            }

            @Override
            public int restore(List<Entry> entries, String origin) {
                for (Entry e : entries) {
                    removed(e.url(), e.seq());
                    metrics.webhookDropped("url_removed");
                }
                logger.warn("Webhook outbox: {} events of {} dropped, webhooks are off on this node", entries.size(),
                            origin);
                return 0;
            }
        };
    }

    /** Parses {field, value, ...} from {@code from} on; drops (with a warning) what does not parse. */
    private List<Entry> entries(List<Object> reply, int from) {
        final List<Entry> entries = new ArrayList<>((reply.size() - from) / 2);
        for (int i = from; i + 1 < reply.size(); i += 2) {
            final String field = (String) reply.get(i);
            final String value = (String) reply.get(i + 1);
            final int bar = field.lastIndexOf('|');
            final String[] f = value.split("\\|", 4);
            try {
                entries.add(new Entry(field.substring(0, bar), Long.parseLong(field.substring(bar + 1)), f[0], f[1],
                                      Long.parseLong(f[2]), f[3]));
            } catch (RuntimeException e) {
                logger.warn("Webhook outbox of node {}: malformed entry {} dropped", nodeId, field);
                metrics.webhookDropped("unserializable");
                submit(() -> issue(() -> redis.async().hdel(own, field)));
            }
        }
        return entries;
    }

    private static String field(String url, long seq) {
        return url + '|' + seq;
    }

    private void submit(Runnable write) {
        try {
            writer.execute(write);
        } catch (RejectedExecutionException e) {
            failed(writer.isShutdown() ? "the node is stopping" : "the writer queue is full");
        }
    }

    /** Issues one command; runs on the writer thread. */
    private <T> void issue(Supplier<? extends CompletionStage<T>> command) {
        final CompletionStage<T> stage = LuaScript.call(command);
        last = stage;
        stage.whenComplete((v, error) -> {
            if (error != null) {
                failed(error.toString());
            }
        });
    }

    private void failed(String why) {
        failed.incrementAndGet();
        failedSinceLog.incrementAndGet();
        final long now = System.nanoTime();
        final long previous = lastFailureLogNanos.get();
        if (now - previous >= FAILURE_LOG_INTERVAL_NANOS && lastFailureLogNanos.compareAndSet(previous, now)) {
            logger.warn("Webhook outbox of node {}: {} writes to Redis failed in the last {} s ({}); their events are "
                        + "not durable, or may be sent again", nodeId, failedSinceLog.getAndSet(0),
                        TimeUnit.NANOSECONDS.toSeconds(FAILURE_LOG_INTERVAL_NANOS), why);
        }
    }

    /** Writes refused or failed since start. */
    long failed() {
        return failed.get();
    }

    /**
     * Lets the writer finish what is queued and waits (bounded) for Redis to answer the last command, so that the
     * dispatcher's last removals are recorded before the connection closes. Blocks the calling thread, never an event
     * loop. Idempotent.
     */
    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(2, TimeUnit.SECONDS)) {
                logger.warn("Webhook outbox of node {}: {} writes still queued at shutdown, not made", nodeId,
                            writer.getQueue().size());
                writer.shutdownNow();
            }
            last.toCompletableFuture().get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            logger.debug("Webhook outbox of node {}: last write: {}", nodeId, e.toString());
        }
    }

    @Override
    public String toString() {
        return "redis " + own;
    }
}
