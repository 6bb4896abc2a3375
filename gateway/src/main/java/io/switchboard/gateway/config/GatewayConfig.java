package io.switchboard.gateway.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Everything a gateway needs to start, validated at construction. Build it with {@link #builder()} or load it with
 * {@link ConfigLoader}; every setting, its default and its {@code SWITCHBOARD_*} variable are listed by
 * {@code java -jar switchboard-gateway.jar --help}.
 */
public record GatewayConfig(Server server, WebSocket webSocket, Chat chat, Offline offline, RateLimit rateLimit,
                            Registry registry) {

    public GatewayConfig {
        requireNonNull(server, "server");
        requireNonNull(webSocket, "webSocket");
        requireNonNull(chat, "chat");
        requireNonNull(offline, "offline");
        requireNonNull(rateLimit, "rateLimit");
        requireNonNull(registry, "registry");
    }

    /** The listener and its resources. */
    public record Server(String host, int port, int ioThreads, int maxConnections, int backlog,
                         int writeBufferLowBytes, int writeBufferHighBytes, Duration shutdownTimeout) {
        public static final String DEFAULT_HOST = "0.0.0.0";
        public static final int DEFAULT_PORT = 8080;
        /** 0: Netty's default, twice the available processors. */
        public static final int DEFAULT_IO_THREADS = 0;
        public static final int DEFAULT_MAX_CONNECTIONS = 200_000;
        public static final int DEFAULT_BACKLOG = 4096;
        public static final int DEFAULT_WRITE_BUFFER_LOW_BYTES = 32 * 1024;
        public static final int DEFAULT_WRITE_BUFFER_HIGH_BYTES = 64 * 1024;
        public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

        public Server {
            requireNonNull(host, "host");
            check("port", port, port >= 0 && port <= 65535, "0..65535");
            check("ioThreads", ioThreads, ioThreads >= 0, ">= 0");
            check("maxConnections", maxConnections, maxConnections > 0, "> 0");
            check("backlog", backlog, backlog > 0, "> 0");
            check("writeBufferLowBytes", writeBufferLowBytes, writeBufferLowBytes > 0, "> 0");
            check("writeBufferHighBytes", writeBufferHighBytes, writeBufferHighBytes >= writeBufferLowBytes,
                  ">= writeBufferLowBytes " + writeBufferLowBytes);
            checkPositive("shutdownTimeout", shutdownTimeout);
        }
    }

    /** The WebSocket endpoint and its limits ({@code PROTOCOL.md} §1). */
    public record WebSocket(String path, int maxFrameBytes, int maxMessageChars, Duration handshakeTimeout,
                            Duration idleTimeout, Duration pingInterval, int maxBadMessages) {
        public static final String DEFAULT_PATH = "/pinter/imserver";
        /** PROTOCOL.md §1: 64 KiB, counted after reassembling fragments. */
        public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
        /** PROTOCOL.md §3: the longest {@code msg} of a {@code normal}. */
        public static final int DEFAULT_MAX_MESSAGE_CHARS = 4096;
        public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
        public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(20);
        /** Consecutive malformed messages before close 1008 (PROTOCOL.md §3, error). */
        public static final int DEFAULT_MAX_BAD_MESSAGES = 10;

        public WebSocket {
            requireNonNull(path, "path");
            if (!path.startsWith("/") || path.endsWith("/") || path.contains("?")) {
                throw new IllegalArgumentException(
                        "path: " + path + " (expected: starts with '/', no trailing '/', no '?')");
            }
            check("maxFrameBytes", maxFrameBytes, maxFrameBytes >= 1024, ">= 1024");
            check("maxMessageChars", maxMessageChars, maxMessageChars > 0, "> 0");
            checkPositive("handshakeTimeout", handshakeTimeout);
            checkPositive("idleTimeout", idleTimeout);
            checkPositive("pingInterval", pingInterval);
            if (pingInterval.compareTo(idleTimeout) >= 0) {
                throw new IllegalArgumentException("pingInterval: " + pingInterval
                        + " (expected: < idleTimeout " + idleTimeout + ", or pings cannot keep clients alive)");
            }
            check("maxBadMessages", maxBadMessages, maxBadMessages > 0, "> 0");
        }
    }

    /** Matching and conversation lifetime ({@code PROTOCOL.md} §3). */
    public record Chat(int agentCapacity, Duration reconnectGrace, Duration slowConsumerTimeout) {
        public static final int DEFAULT_AGENT_CAPACITY = 50;
        public static final Duration DEFAULT_RECONNECT_GRACE = Duration.ofSeconds(30);
        public static final Duration DEFAULT_SLOW_CONSUMER_TIMEOUT = Duration.ofSeconds(10);

        public Chat {
            check("agentCapacity", agentCapacity, agentCapacity > 0, "> 0");
            checkNonNegative("reconnectGrace", reconnectGrace);
            checkPositive("slowConsumerTimeout", slowConsumerTimeout);
        }
    }

    /** The hold for messages to a paired peer that is offline or not reading. */
    public record Offline(int maxPerUser, Duration ttl, int maxTotal) {
        public static final int DEFAULT_MAX_PER_USER = 200;
        public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);
        public static final int DEFAULT_MAX_TOTAL = 1_000_000;

        public Offline {
            check("maxPerUser", maxPerUser, maxPerUser > 0, "> 0");
            checkPositive("ttl", ttl);
            check("maxTotal", maxTotal, maxTotal >= maxPerUser, ">= maxPerUser " + maxPerUser);
        }
    }

    /**
     * The per-connection token bucket ({@code RATE_LIMITED}). Agents get their own, larger bucket: one agent answers
     * up to {@code agentCapacity} users.
     */
    public record RateLimit(int perSecond, int burst, int agentPerSecond, int agentBurst) {
        public static final int DEFAULT_PER_SECOND = 100;
        public static final int DEFAULT_BURST = 200;
        public static final int DEFAULT_AGENT_PER_SECOND = 1000;
        public static final int DEFAULT_AGENT_BURST = 2000;

        public RateLimit {
            // A token costs 1e9 / rate nanoseconds: past a million per second the bucket would stop limiting.
            check("perSecond", perSecond, perSecond > 0 && perSecond <= 1_000_000, "1..1000000");
            check("burst", burst, burst > 0, "> 0");
            check("agentPerSecond", agentPerSecond, agentPerSecond > 0 && agentPerSecond <= 1_000_000, "1..1000000");
            check("agentBurst", agentBurst, agentBurst > 0, "> 0");
        }
    }

    /** The sharded session registry. */
    public record Registry(int shards, int initialCapacityPerShard) {
        public static final int DEFAULT_SHARDS = 16;
        public static final int DEFAULT_INITIAL_CAPACITY_PER_SHARD = 256;

        public Registry {
            check("shards", shards, shards > 0 && Integer.bitCount(shards) == 1 && shards <= 4096,
                  "a power of two in 1..4096");
            check("initialCapacityPerShard", initialCapacityPerShard, initialCapacityPerShard > 0, "> 0");
        }
    }

    /** A builder with every default from the {@code DEFAULT_*} constants. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this configuration. */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.host = server.host;
        b.port = server.port;
        b.ioThreads = server.ioThreads;
        b.maxConnections = server.maxConnections;
        b.backlog = server.backlog;
        b.writeBufferLowBytes = server.writeBufferLowBytes;
        b.writeBufferHighBytes = server.writeBufferHighBytes;
        b.shutdownTimeout = server.shutdownTimeout;
        b.path = webSocket.path;
        b.maxFrameBytes = webSocket.maxFrameBytes;
        b.maxMessageChars = webSocket.maxMessageChars;
        b.handshakeTimeout = webSocket.handshakeTimeout;
        b.idleTimeout = webSocket.idleTimeout;
        b.pingInterval = webSocket.pingInterval;
        b.maxBadMessages = webSocket.maxBadMessages;
        b.agentCapacity = chat.agentCapacity;
        b.reconnectGrace = chat.reconnectGrace;
        b.slowConsumerTimeout = chat.slowConsumerTimeout;
        b.offlineMaxPerUser = offline.maxPerUser;
        b.offlineTtl = offline.ttl;
        b.offlineMaxTotal = offline.maxTotal;
        b.ratePerSecond = rateLimit.perSecond;
        b.rateBurst = rateLimit.burst;
        b.agentRatePerSecond = rateLimit.agentPerSecond;
        b.agentRateBurst = rateLimit.agentBurst;
        b.registryShards = registry.shards;
        b.registryInitialCapacityPerShard = registry.initialCapacityPerShard;
        return b;
    }

    /** Collects settings; {@link #build()} validates them all. */
    public static final class Builder {
        private String host = Server.DEFAULT_HOST;
        private int port = Server.DEFAULT_PORT;
        private int ioThreads = Server.DEFAULT_IO_THREADS;
        private int maxConnections = Server.DEFAULT_MAX_CONNECTIONS;
        private int backlog = Server.DEFAULT_BACKLOG;
        private int writeBufferLowBytes = Server.DEFAULT_WRITE_BUFFER_LOW_BYTES;
        private int writeBufferHighBytes = Server.DEFAULT_WRITE_BUFFER_HIGH_BYTES;
        private Duration shutdownTimeout = Server.DEFAULT_SHUTDOWN_TIMEOUT;
        private String path = WebSocket.DEFAULT_PATH;
        private int maxFrameBytes = WebSocket.DEFAULT_MAX_FRAME_BYTES;
        private int maxMessageChars = WebSocket.DEFAULT_MAX_MESSAGE_CHARS;
        private Duration handshakeTimeout = WebSocket.DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration idleTimeout = WebSocket.DEFAULT_IDLE_TIMEOUT;
        private Duration pingInterval = WebSocket.DEFAULT_PING_INTERVAL;
        private int maxBadMessages = WebSocket.DEFAULT_MAX_BAD_MESSAGES;
        private int agentCapacity = Chat.DEFAULT_AGENT_CAPACITY;
        private Duration reconnectGrace = Chat.DEFAULT_RECONNECT_GRACE;
        private Duration slowConsumerTimeout = Chat.DEFAULT_SLOW_CONSUMER_TIMEOUT;
        private int offlineMaxPerUser = Offline.DEFAULT_MAX_PER_USER;
        private Duration offlineTtl = Offline.DEFAULT_TTL;
        private int offlineMaxTotal = Offline.DEFAULT_MAX_TOTAL;
        private int ratePerSecond = RateLimit.DEFAULT_PER_SECOND;
        private int rateBurst = RateLimit.DEFAULT_BURST;
        private int agentRatePerSecond = RateLimit.DEFAULT_AGENT_PER_SECOND;
        private int agentRateBurst = RateLimit.DEFAULT_AGENT_BURST;
        private int registryShards = Registry.DEFAULT_SHARDS;
        private int registryInitialCapacityPerShard = Registry.DEFAULT_INITIAL_CAPACITY_PER_SHARD;

        private Builder() {}

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder ioThreads(int v) { ioThreads = v; return this; }
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        public Builder backlog(int v) { backlog = v; return this; }
        public Builder writeBufferLowBytes(int v) { writeBufferLowBytes = v; return this; }
        public Builder writeBufferHighBytes(int v) { writeBufferHighBytes = v; return this; }
        public Builder shutdownTimeout(Duration v) { shutdownTimeout = v; return this; }
        public Builder path(String v) { path = v; return this; }
        public Builder maxFrameBytes(int v) { maxFrameBytes = v; return this; }
        public Builder maxMessageChars(int v) { maxMessageChars = v; return this; }
        public Builder handshakeTimeout(Duration v) { handshakeTimeout = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder pingInterval(Duration v) { pingInterval = v; return this; }
        public Builder maxBadMessages(int v) { maxBadMessages = v; return this; }
        public Builder agentCapacity(int v) { agentCapacity = v; return this; }
        public Builder reconnectGrace(Duration v) { reconnectGrace = v; return this; }
        public Builder slowConsumerTimeout(Duration v) { slowConsumerTimeout = v; return this; }
        public Builder offlineMaxPerUser(int v) { offlineMaxPerUser = v; return this; }
        public Builder offlineTtl(Duration v) { offlineTtl = v; return this; }
        public Builder offlineMaxTotal(int v) { offlineMaxTotal = v; return this; }
        public Builder ratePerSecond(int v) { ratePerSecond = v; return this; }
        public Builder rateBurst(int v) { rateBurst = v; return this; }
        public Builder agentRatePerSecond(int v) { agentRatePerSecond = v; return this; }
        public Builder agentRateBurst(int v) { agentRateBurst = v; return this; }
        public Builder registryShards(int v) { registryShards = v; return this; }
        public Builder registryInitialCapacityPerShard(int v) { registryInitialCapacityPerShard = v; return this; }

        /**
         * @throws IllegalArgumentException naming the first invalid setting and its value
         */
        public GatewayConfig build() {
            return new GatewayConfig(
                    new Server(host, port, ioThreads, maxConnections, backlog, writeBufferLowBytes,
                               writeBufferHighBytes, shutdownTimeout),
                    new WebSocket(path, maxFrameBytes, maxMessageChars, handshakeTimeout, idleTimeout, pingInterval,
                                  maxBadMessages),
                    new Chat(agentCapacity, reconnectGrace, slowConsumerTimeout),
                    new Offline(offlineMaxPerUser, offlineTtl, offlineMaxTotal),
                    new RateLimit(ratePerSecond, rateBurst, agentRatePerSecond, agentRateBurst),
                    new Registry(registryShards, registryInitialCapacityPerShard));
        }
    }

    private static void check(String name, long value, boolean ok, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ')');
        }
    }

    private static void checkPositive(String name, Duration value) {
        requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }

    private static void checkNonNegative(String name, Duration value) {
        requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
        }
    }
}
