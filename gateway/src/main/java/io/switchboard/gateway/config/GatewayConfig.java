package io.switchboard.gateway.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Everything a gateway needs to start, validated at construction. Build it with {@link #builder()} or load it with
 * {@link ConfigLoader}; every setting, its default and its {@code SWITCHBOARD_*} variable are listed by
 * {@code java -jar switchboard-gateway.jar --help}.
 */
public record GatewayConfig(Server server, WebSocket webSocket, Chat chat, Offline offline, RateLimit rateLimit,
                            Registry registry, Auth auth, Api api, Webhooks webhooks, Cluster cluster) {

    public GatewayConfig {
        requireNonNull(server, "server");
        requireNonNull(webSocket, "webSocket");
        requireNonNull(chat, "chat");
        requireNonNull(offline, "offline");
        requireNonNull(rateLimit, "rateLimit");
        requireNonNull(registry, "registry");
        requireNonNull(cluster, "cluster");
        requireNonNull(auth, "auth");
        requireNonNull(api, "api");
        requireNonNull(webhooks, "webhooks");
        if (api.port() == Api.PORT_NEXT_TO_MAIN && server.port() == 65535) {
            throw new IllegalArgumentException("apiPort: next to port 65535 (expected: an explicit apiPort)");
        }
    }

    /** The port the API listener binds: {@code api.port}, or next to the main port ({@code 0} if that is 0). */
    public int apiPort() {
        if (api.port() != Api.PORT_NEXT_TO_MAIN) {
            return api.port();
        }
        return server.port() == 0 ? 0 : server.port() + 1;
    }

    /** The listener and its resources. */
    public record Server(String host, int port, int ioThreads, int maxConnections, int backlog,
                         int writeBufferLowBytes, int writeBufferHighBytes, Duration shutdownTimeout) {
        public static final String DEFAULT_HOST = "0.0.0.0";
        public static final int DEFAULT_PORT = 8080;
        /** 0: one event loop per available processor. */
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

    /**
     * Handshake authentication ({@code PROTOCOL.md} §1): off, or a JWT verified with an HS256 shared secret, an RS256
     * or ES256 public key (PEM file), or a JWKS file reloaded when it changes; plus an optional Origin allow-list.
     * {@link #toString()} never shows the secret.
     *
     * @param secret         the HS256 shared secret (at least 32 bytes); empty unless {@code mode} is HS256
     * @param publicKeyFile  the PEM public key of RS256/ES256, or {@code null}
     * @param jwksFile       the JWKS file of mode JWKS, or {@code null}
     * @param clockSkew      tolerance on {@code exp} and {@code nbf}
     * @param keyReloadCheck how often the key file's modification time is checked (off the event loops)
     * @param allowedOrigins browser origins allowed to connect; empty allows any (non-browser clients send none)
     */
    public record Auth(Mode mode, String secret, Path publicKeyFile, Path jwksFile, Duration clockSkew,
                       Duration keyReloadCheck, List<String> allowedOrigins) {
        public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
        public static final Duration DEFAULT_KEY_RELOAD_CHECK = Duration.ofSeconds(5);
        /** RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. */
        public static final int MIN_SECRET_BYTES = 32;

        /** How tokens are verified. */
        public enum Mode {
            OFF, HS256, RS256, ES256, JWKS;

            /** Parses {@code off|hs256|rs256|es256|jwks}. */
            public static Mode parse(String s) {
                try {
                    return valueOf(s.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("is not one of off, hs256, rs256, es256, jwks");
                }
            }
        }

        public Auth {
            requireNonNull(mode, "mode");
            secret = secret == null ? "" : secret;
            checkNonNegative("authClockSkew", clockSkew);
            checkPositive("authKeyReloadCheck", keyReloadCheck);
            allowedOrigins = List.copyOf(requireNonNull(allowedOrigins, "allowedOrigins"));
            switch (mode) {
                case HS256:
                    final int n = secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                    if (n < MIN_SECRET_BYTES) {
                        // The value itself is a secret: name its length, never its content.
                        throw new IllegalArgumentException("authSecret: a secret of " + n + " bytes (expected: >= "
                                                           + MIN_SECRET_BYTES + " bytes for hs256)");
                    }
                    break;
                case RS256:
                case ES256:
                    if (publicKeyFile == null) {
                        throw new IllegalArgumentException("authPublicKeyFile: none (expected: a PEM file for "
                                                           + mode.name().toLowerCase(Locale.ROOT) + ')');
                    }
                    break;
                case JWKS:
                    if (jwksFile == null) {
                        throw new IllegalArgumentException("authJwksFile: none (expected: a JWKS file for jwks)");
                    }
                    break;
                default:
                    break;
            }
        }

        /** Whether the handshake requires a token. */
        public boolean enabled() {
            return mode != Mode.OFF;
        }

        @Override
        public String toString() {
            return "Auth[mode=" + mode + ", secret=" + (secret.isEmpty() ? "none" : "(set)") + ", publicKeyFile="
                   + publicKeyFile + ", jwksFile=" + jwksFile + ", clockSkew=" + clockSkew + ", keyReloadCheck="
                   + keyReloadCheck + ", allowedOrigins=" + allowedOrigins + ']';
        }
    }

    /**
     * The server-side HTTP API for backends ({@code docs/API.md}): its own listener on the gateway's event loops.
     * {@link #toString()} never shows the key.
     *
     * @param port         the API port; {@link #PORT_NEXT_TO_MAIN} by default, see {@link GatewayConfig#apiPort()}
     * @param apiKey       the key backends send as {@code Authorization: Bearer}; empty: no key required
     * @param maxBodyBytes the largest request body accepted (else 413)
     */
    public record Api(boolean enabled, String host, int port, String apiKey, int maxBodyBytes) {
        public static final boolean DEFAULT_ENABLED = true;
        /** Loopback by default: the API can push to anyone, so exposing it is a deliberate choice. */
        public static final String DEFAULT_HOST = "127.0.0.1";
        /**
         * The main port + 1: 8081 with the default 8080, and an ephemeral port when the main port is 0 (tests), so
         * that two gateways in one JVM never fight over the API port.
         */
        public static final int PORT_NEXT_TO_MAIN = -1;
        public static final int DEFAULT_PORT = PORT_NEXT_TO_MAIN;
        public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

        public Api {
            requireNonNull(host, "apiHost");
            apiKey = apiKey == null ? "" : apiKey;
            check("apiPort", port, port >= -1 && port <= 65535, "0..65535, or -1 for the main port + 1");
            check("apiMaxBodyBytes", maxBodyBytes, maxBodyBytes >= 1024, ">= 1024");
        }

        @Override
        public String toString() {
            return "Api[enabled=" + enabled + ", host=" + host + ", port=" + port + ", apiKey="
                   + (apiKey.isEmpty() ? "none" : "(set)") + ", maxBodyBytes=" + maxBodyBytes + ']';
        }
    }

    /**
     * Webhooks to backends ({@code docs/WEBHOOKS.md}): the URLs that receive events, the HMAC secret that signs them,
     * and the bounds of the delivery queue. {@link #toString()} never shows the secret.
     *
     * @param urls            http(s) URLs; empty: webhooks off
     * @param secret          the HMAC-SHA256 key of {@code X-Switchboard-Signature}; required with URLs
     * @param queueSize       events waiting per URL; past it new events are dropped and counted
     * @param retryWindow     how long an event is retried before it is given up
     * @param requestTimeout  how long one POST may take
     * @param archiveMessages whether every routed {@code normal} is also sent (event {@code message.routed})
     */
    public record Webhooks(List<URI> urls, String secret, int queueSize, Duration retryWindow, Duration requestTimeout,
                           boolean archiveMessages) {
        public static final int DEFAULT_QUEUE_SIZE = 10_000;
        public static final Duration DEFAULT_RETRY_WINDOW = Duration.ofMinutes(5);
        public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

        public Webhooks {
            urls = List.copyOf(requireNonNull(urls, "webhookUrls"));
            secret = secret == null ? "" : secret;
            for (URI u : urls) {
                final String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
                if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                    throw new IllegalArgumentException("webhookUrls: " + u + " (expected: an http or https URL)");
                }
            }
            if (!urls.isEmpty() && secret.isEmpty()) {
                throw new IllegalArgumentException("webhookSecret: none (expected: a secret to sign webhooks with)");
            }
            check("webhookQueueSize", queueSize, queueSize > 0, "> 0");
            checkPositive("webhookRetryWindow", retryWindow);
            checkPositive("webhookRequestTimeout", requestTimeout);
        }

        /** Whether any URL receives events. */
        public boolean enabled() {
            return !urls.isEmpty();
        }

        @Override
        public String toString() {
            return "Webhooks[urls=" + urls + ", secret=" + (secret.isEmpty() ? "none" : "(set)") + ", queueSize="
                   + queueSize + ", retryWindow=" + retryWindow + ", requestTimeout=" + requestTimeout
                   + ", archiveMessages=" + archiveMessages + ']';
        }
    }

    /**
     * Cluster mode ({@code docs/CLUSTER.md}): several gateways sharing presence, pairings and the offline hold in
     * Redis. Off ({@link Mode#NONE}) by default: one gateway, everything in memory.
     *
     * @param nodeId        this gateway's id in the cluster; empty picks {@code <hostname>-<random>} at start
     * @param heartbeat     how often the node refreshes its liveness in Redis (and looks for dead nodes)
     * @param nodeTtl       a node silent this long is dead: its users are released
     * @param keyPrefix     the prefix of every Redis key and channel, so that clusters can share one Redis
     * @param remoteTimeout how long a delivery waits for the node holding the recipient to answer
     */
    public record Cluster(Mode mode, String redisUrl, String nodeId, Duration heartbeat, Duration nodeTtl,
                          String keyPrefix, Duration remoteTimeout) {
        public static final Mode DEFAULT_MODE = Mode.NONE;
        public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
        public static final String DEFAULT_NODE_ID = "";
        public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(2);
        public static final Duration DEFAULT_NODE_TTL = Duration.ofSeconds(10);
        public static final String DEFAULT_KEY_PREFIX = "sb:";
        public static final Duration DEFAULT_REMOTE_TIMEOUT = Duration.ofSeconds(3);

        /** How gateways share state. */
        public enum Mode {
            /** One gateway, in memory. */
            NONE,
            /** Several gateways sharing one Redis. */
            REDIS
        }

        public Cluster {
            requireNonNull(mode, "mode");
            requireNonNull(redisUrl, "redisUrl");
            requireNonNull(nodeId, "nodeId");
            requireNonNull(keyPrefix, "keyPrefix");
            if (mode == Mode.REDIS && !(redisUrl.startsWith("redis://") || redisUrl.startsWith("rediss://"))) {
                throw new IllegalArgumentException("redisUrl: " + redisUrl + " (expected: redis://HOST:PORT)");
            }
            if (nodeId.length() > 64 || nodeId.chars().anyMatch(c -> c <= ' ' || c == '|' || c == 0x7f)) {
                throw new IllegalArgumentException(
                        "nodeId: " + nodeId + " (expected: up to 64 characters, no whitespace or '|')");
            }
            checkPositive("heartbeat", heartbeat);
            checkPositive("nodeTtl", nodeTtl);
            if (nodeTtl.compareTo(heartbeat.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("nodeTtl: " + nodeTtl + " (expected: >= 2 x heartbeat "
                                                   + heartbeat + ", or live nodes look dead)");
            }
            checkPositive("remoteTimeout", remoteTimeout);
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
        b.authMode = auth.mode;
        b.authSecret = auth.secret;
        b.authPublicKeyFile = auth.publicKeyFile;
        b.authJwksFile = auth.jwksFile;
        b.authClockSkew = auth.clockSkew;
        b.authKeyReloadCheck = auth.keyReloadCheck;
        b.allowedOrigins = auth.allowedOrigins;
        b.apiEnabled = api.enabled;
        b.apiHost = api.host;
        b.apiPort = api.port;
        b.apiKey = api.apiKey;
        b.apiMaxBodyBytes = api.maxBodyBytes;
        b.webhookUrls = webhooks.urls;
        b.webhookSecret = webhooks.secret;
        b.webhookQueueSize = webhooks.queueSize;
        b.webhookRetryWindow = webhooks.retryWindow;
        b.webhookRequestTimeout = webhooks.requestTimeout;
        b.webhookArchiveMessages = webhooks.archiveMessages;
        b.clusterMode = cluster.mode;
        b.redisUrl = cluster.redisUrl;
        b.nodeId = cluster.nodeId;
        b.nodeHeartbeat = cluster.heartbeat;
        b.nodeTtl = cluster.nodeTtl;
        b.redisKeyPrefix = cluster.keyPrefix;
        b.remoteTimeout = cluster.remoteTimeout;
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
        private Auth.Mode authMode = Auth.Mode.OFF;
        private String authSecret = "";
        private Path authPublicKeyFile;
        private Path authJwksFile;
        private Duration authClockSkew = Auth.DEFAULT_CLOCK_SKEW;
        private Duration authKeyReloadCheck = Auth.DEFAULT_KEY_RELOAD_CHECK;
        private List<String> allowedOrigins = List.of();
        private boolean apiEnabled = Api.DEFAULT_ENABLED;
        private String apiHost = Api.DEFAULT_HOST;
        private int apiPort = Api.DEFAULT_PORT;
        private String apiKey = "";
        private int apiMaxBodyBytes = Api.DEFAULT_MAX_BODY_BYTES;
        private List<URI> webhookUrls = List.of();
        private String webhookSecret = "";
        private int webhookQueueSize = Webhooks.DEFAULT_QUEUE_SIZE;
        private Duration webhookRetryWindow = Webhooks.DEFAULT_RETRY_WINDOW;
        private Duration webhookRequestTimeout = Webhooks.DEFAULT_REQUEST_TIMEOUT;
        private boolean webhookArchiveMessages;
        private Cluster.Mode clusterMode = Cluster.DEFAULT_MODE;
        private String redisUrl = Cluster.DEFAULT_REDIS_URL;
        private String nodeId = Cluster.DEFAULT_NODE_ID;
        private Duration nodeHeartbeat = Cluster.DEFAULT_HEARTBEAT;
        private Duration nodeTtl = Cluster.DEFAULT_NODE_TTL;
        private String redisKeyPrefix = Cluster.DEFAULT_KEY_PREFIX;
        private Duration remoteTimeout = Cluster.DEFAULT_REMOTE_TIMEOUT;

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
        public Builder authMode(Auth.Mode v) { authMode = v; return this; }
        public Builder authSecret(String v) { authSecret = v; return this; }
        public Builder authPublicKeyFile(Path v) { authPublicKeyFile = v; return this; }
        public Builder authJwksFile(Path v) { authJwksFile = v; return this; }
        public Builder authClockSkew(Duration v) { authClockSkew = v; return this; }
        public Builder authKeyReloadCheck(Duration v) { authKeyReloadCheck = v; return this; }
        public Builder allowedOrigins(List<String> v) { allowedOrigins = v; return this; }
        public Builder apiEnabled(boolean v) { apiEnabled = v; return this; }
        public Builder apiHost(String v) { apiHost = v; return this; }
        public Builder apiPort(int v) { apiPort = v; return this; }
        public Builder apiKey(String v) { apiKey = v; return this; }
        public Builder apiMaxBodyBytes(int v) { apiMaxBodyBytes = v; return this; }
        public Builder webhookUrls(List<URI> v) { webhookUrls = v; return this; }
        public Builder webhookSecret(String v) { webhookSecret = v; return this; }
        public Builder webhookQueueSize(int v) { webhookQueueSize = v; return this; }
        public Builder webhookRetryWindow(Duration v) { webhookRetryWindow = v; return this; }
        public Builder webhookRequestTimeout(Duration v) { webhookRequestTimeout = v; return this; }
        public Builder webhookArchiveMessages(boolean v) { webhookArchiveMessages = v; return this; }
        public Builder clusterMode(Cluster.Mode v) { clusterMode = v; return this; }
        public Builder redisUrl(String v) { redisUrl = v; return this; }
        public Builder nodeId(String v) { nodeId = v; return this; }
        public Builder nodeHeartbeat(Duration v) { nodeHeartbeat = v; return this; }
        public Builder nodeTtl(Duration v) { nodeTtl = v; return this; }
        public Builder redisKeyPrefix(String v) { redisKeyPrefix = v; return this; }
        public Builder remoteTimeout(Duration v) { remoteTimeout = v; return this; }

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
                    new Registry(registryShards, registryInitialCapacityPerShard),
                    new Auth(authMode, authSecret, authPublicKeyFile, authJwksFile, authClockSkew, authKeyReloadCheck,
                             allowedOrigins),
                    new Api(apiEnabled, apiHost, apiPort, apiKey, apiMaxBodyBytes),
                    new Webhooks(webhookUrls, webhookSecret, webhookQueueSize, webhookRetryWindow,
                                 webhookRequestTimeout, webhookArchiveMessages),
                    new Cluster(clusterMode, redisUrl, nodeId, nodeHeartbeat, nodeTtl, redisKeyPrefix,
                                remoteTimeout));
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
