package io.switchboard.gateway.cluster;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the Redis side of one cluster node: the Lettuce client and its resources, one multiplexed command connection
 * (Lettuce pipelines every command of every thread over it, in order) and one pub/sub connection subscribed to this
 * node's channel.
 *
 * <p>Outages: Lettuce reconnects both connections by itself, with jittered exponential backoff (100 ms to 5 s), and
 * re-subscribes the channel.
 * While disconnected, commands are rejected at once ({@code DisconnectedBehavior.REJECT_COMMANDS}) rather than
 * queued, and every command has a timeout, so callers see a failed stage quickly and answer {@code UNAVAILABLE}
 * instead of piling up work.
 *
 * <p>Lettuce runs its own two I/O threads here rather than the gateway's event loops: every continuation that touches
 * a connection hops to that connection's loop anyway ({@code whenCompleteAsync(fn, eventLoop)}).
 */
final class ClusterRedis implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ClusterRedis.class);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);

    private final ClientResources resources;
    private final RedisClient client;
    private StatefulRedisConnection<String, String> commands;
    private StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile boolean closed;

    ClusterRedis(String redisUrl) {
        // Reconnect attempts back off exponentially with full jitter, 100 ms to 5 s, so that a restarted Redis is
        // found again within seconds and a cluster of nodes does not reconnect in lock-step.
        resources = DefaultClientResources.builder()
                                          .ioThreadPoolSize(2)
                                          .computationThreadPoolSize(2)
                                          .reconnectDelay(Delay.fullJitter(Duration.ofMillis(100),
                                                                           Duration.ofSeconds(5), 2,
                                                                           TimeUnit.MILLISECONDS))
                                          .build();
        client = RedisClient.create(resources, RedisURI.create(redisUrl));
        client.setOptions(ClientOptions.builder()
                                       .autoReconnect(true)
                                       .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                                       .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                                       .build());
    }

    /**
     * Connects and subscribes {@code channel} (this node's) and {@code broadcast} (every node's: the queue's
     * positions), delivering their messages to {@code onMessage} (on a Lettuce thread, one at a time, in the order
     * Redis published them). Blocks the calling thread, which must not be an event loop: it runs once, in
     * {@code GatewayServer.start()}.
     *
     * @param onResubscribed run (on a Lettuce thread) each time Lettuce subscribes the channel again after a
     *                       reconnect: until then, other nodes' {@code PUBLISH}es to it reached nobody
     * @throws IllegalStateException if Redis cannot be reached
     */
    void connect(String channel, String broadcast, BiConsumer<String, String> onMessage, Runnable onResubscribed) {
        try {
            commands = client.connect();
            pubSub = client.connectPubSub();
            final AtomicBoolean first = new AtomicBoolean(true);
            pubSub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String ch, String message) {
                    onMessage.accept(ch, message);
                }

                @Override
                public void subscribed(String ch, long count) {
                    if (channel.equals(ch) && !first.compareAndSet(true, false)) {
                        onResubscribed.run();
                    }
                }
            });
            pubSub.sync().subscribe(channel, broadcast);
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("cannot reach Redis: " + e.getMessage(), e);
        }
    }

    /** The asynchronous commands; thread-safe. */
    RedisAsyncCommands<String, String> async() {
        return commands.async();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (pubSub != null) {
                pubSub.close();
            }
            if (commands != null) {
                commands.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS).await(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            logger.debug("Redis client shutdown: {}", e.toString());
        }
    }
}
