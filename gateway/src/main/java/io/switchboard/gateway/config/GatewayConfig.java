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
 * {@code bin/switchboard --help}.
 *
 * <p>Each section is a record with its own {@code DEFAULT_*} constants and small builder; {@link Builder} composes
 * the section builders (the way Lettuce's {@code ClientOptions} composes {@code SocketOptions}). A section validates
 * its own fields and names the offending field in the message ({@code shards: 3 (expected: ...)}), which is how
 * {@link ConfigLoader} finds the setting to blame. This file is long because it declares eleven sections; each setting
 * appears here as a component, a default, a builder field and setter, and a flat delegate on {@link Builder}.
 */
public record GatewayConfig(Server server, WebSocket webSocket, Chat chat, Offline offline, RateLimit rateLimit,
                            Registry registry, Auth auth, Api api, Webhooks webhooks, Cluster cluster, Tls tls) {

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
        requireNonNull(tls, "tls");
        if (api.port() == Api.PORT_NEXT_TO_MAIN && server.port() == 65535) {
            throw new IllegalArgumentException("apiPort: next to port 65535 (expected: an explicit apiPort)");
        }
        if (api.enabled() && tls.enabled() && !api.tls() && !isLoopback(api.host())) {
            // The API key and every pushed message would cross the network in clear next to a TLS listener.
            throw new IllegalArgumentException("apiTls: false on api-host " + api.host()
                                               + " (expected: true, or a loopback api-host such as 127.0.0.1)");
        }
    }

    /** Whether the API listener uses TLS: TLS is configured and {@code api-tls} is not turned off. */
    public boolean apiUsesTls() {
        return tls.enabled() && api.tls();
    }

    /**
     * The settings that leave this gateway open to more than its defaults should allow, each named as an operator
     * would change it: authentication off on a non-loopback listener, no browser origin allow-list, an API without a
     * key. Empty when none is relaxed; {@code GatewayServer} logs them in one warning at start.
     */
    public List<String> relaxedSettings() {
        final List<String> relaxed = new java.util.ArrayList<>();
        if (!auth.enabled() && !isLoopback(server.host)) {
            relaxed.add("auth-mode=off on " + server.host + " (anyone can connect as any userId)");
        }
        if (auth.allowedOrigins().isEmpty()) {
            relaxed.add("allowed-origins=any (any web page can open connections)");
        }
        if (api.enabled() && api.apiKey().isEmpty()) {
            relaxed.add("api-key=none on " + api.host() + (api.insecure() ? " with api-insecure" : "")
                        + " (whoever reaches the API can push and disconnect)");
        }
        return relaxed;
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
                         int writeBufferLowBytes, int writeBufferHighBytes, Duration shutdownTimeout,
                         String frameAncestors) {
        public static final String DEFAULT_HOST = "0.0.0.0";
        public static final int DEFAULT_PORT = 8080;
        /** 0: one event loop per available processor. */
        public static final int DEFAULT_IO_THREADS = 0;
        /** 0: what the process can really open, its file limit minus headroom ({@link #effectiveMaxConnections}). */
        public static final int MAX_CONNECTIONS_AUTO = 0;
        public static final int DEFAULT_MAX_CONNECTIONS = MAX_CONNECTIONS_AUTO;
        /** The CSP {@code frame-ancestors} of the pages: same origin only, unless the customer's sites are named. */
        public static final String DEFAULT_FRAME_ANCESTORS = "'self'";
        public static final int DEFAULT_BACKLOG = 4096;
        public static final int DEFAULT_WRITE_BUFFER_LOW_BYTES = 32 * 1024;
        public static final int DEFAULT_WRITE_BUFFER_HIGH_BYTES = 64 * 1024;
        public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

        public Server {
            requireNonNull(host, "host");
            check("port", port, port >= 0 && port <= 65535, "0..65535");
            check("ioThreads", ioThreads, ioThreads >= 0, ">= 0");
            check("maxConnections", maxConnections, maxConnections >= 0, ">= 0, 0 for auto");
            check("backlog", backlog, backlog > 0, "> 0");
            check("writeBufferLowBytes", writeBufferLowBytes, writeBufferLowBytes > 0, "> 0");
            check("writeBufferHighBytes", writeBufferHighBytes, writeBufferHighBytes >= writeBufferLowBytes,
                  ">= writeBufferLowBytes " + writeBufferLowBytes);
            checkPositive("shutdownTimeout", shutdownTimeout);
            requireNonNull(frameAncestors, "frameAncestors");
            if (frameAncestors.isBlank() || frameAncestors.chars().anyMatch(c -> c < 0x20 || c == ';' || c == ',')) {
                // It goes into a header: no CR/LF, and no ';' or ',' that would start another CSP directive.
                throw new IllegalArgumentException("frameAncestors: " + frameAncestors
                                                   + " (expected: CSP sources separated by spaces, e.g. 'self' "
                                                   + "https://shop.example.com)");
            }
        }

        /**
         * The connection cap in force: {@link #maxConnections} if set, else {@code fileLimit} minus headroom (5%, at
         * least 256 descriptors) for the API, the data file, logs and the JVM; at least 1.
         *
         * @param fileLimit the process's open-files limit, or a negative number when it cannot be read
         */
        public int effectiveMaxConnections(long fileLimit) {
            if (maxConnections != MAX_CONNECTIONS_AUTO) {
                return maxConnections;
            }
            if (fileLimit <= 0) {
                return FALLBACK_MAX_CONNECTIONS;
            }
            final long headroom = Math.max(MIN_FD_HEADROOM, fileLimit / 20);
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, fileLimit - headroom));
        }

        /** File descriptors kept free of connections by the automatic cap, at least. */
        public static final int MIN_FD_HEADROOM = 256;
        /** The automatic cap when the file limit cannot be read (not Unix). */
        public static final int FALLBACK_MAX_CONNECTIONS = 10_000;

        /** A builder with every default from the {@code DEFAULT_*} constants. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().host(host).port(port).ioThreads(ioThreads).maxConnections(maxConnections)
                    .backlog(backlog).writeBufferLowBytes(writeBufferLowBytes)
                    .writeBufferHighBytes(writeBufferHighBytes).shutdownTimeout(shutdownTimeout)
                    .frameAncestors(frameAncestors);
        }

        /** Collects the listener settings; {@link #build()} validates them. */
        public static final class Builder {
            private String host = DEFAULT_HOST;
            private int port = DEFAULT_PORT;
            private int ioThreads = DEFAULT_IO_THREADS;
            private int maxConnections = DEFAULT_MAX_CONNECTIONS;
            private int backlog = DEFAULT_BACKLOG;
            private int writeBufferLowBytes = DEFAULT_WRITE_BUFFER_LOW_BYTES;
            private int writeBufferHighBytes = DEFAULT_WRITE_BUFFER_HIGH_BYTES;
            private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
            private String frameAncestors = DEFAULT_FRAME_ANCESTORS;

            private Builder() {}

            public Builder host(String v) { host = v; return this; }
            public Builder frameAncestors(String v) { frameAncestors = v; return this; }
            public Builder port(int v) { port = v; return this; }
            public Builder ioThreads(int v) { ioThreads = v; return this; }
            public Builder maxConnections(int v) { maxConnections = v; return this; }
            public Builder backlog(int v) { backlog = v; return this; }
            public Builder writeBufferLowBytes(int v) { writeBufferLowBytes = v; return this; }
            public Builder writeBufferHighBytes(int v) { writeBufferHighBytes = v; return this; }
            public Builder shutdownTimeout(Duration v) { shutdownTimeout = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public Server build() {
                return new Server(host, port, ioThreads, maxConnections, backlog, writeBufferLowBytes,
                                  writeBufferHighBytes, shutdownTimeout, frameAncestors);
            }
        }
    }

    /** The WebSocket endpoint and its limits ({@code PROTOCOL.md} §1). */
    public record WebSocket(String path, int maxFrameBytes, int maxMessageChars, Duration handshakeTimeout,
                            Duration idleTimeout, Duration pingInterval, int maxBadMessages,
                            List<String> reservedUserIds) {
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
            reservedUserIds = List.copyOf(requireNonNull(reservedUserIds, "reservedUserIds"));
        }

        /** A builder with every default from the {@code DEFAULT_*} constants. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().path(path).maxFrameBytes(maxFrameBytes).maxMessageChars(maxMessageChars)
                    .handshakeTimeout(handshakeTimeout).idleTimeout(idleTimeout).pingInterval(pingInterval)
                    .maxBadMessages(maxBadMessages).reservedUserIds(reservedUserIds);
        }

        /** Collects the endpoint settings; {@link #build()} validates them. */
        public static final class Builder {
            private String path = DEFAULT_PATH;
            private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
            private int maxMessageChars = DEFAULT_MAX_MESSAGE_CHARS;
            private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
            private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
            private Duration pingInterval = DEFAULT_PING_INTERVAL;
            private int maxBadMessages = DEFAULT_MAX_BAD_MESSAGES;
            private List<String> reservedUserIds = List.of();

            private Builder() {}

            public Builder reservedUserIds(List<String> v) { reservedUserIds = v; return this; }
            public Builder path(String v) { path = v; return this; }
            public Builder maxFrameBytes(int v) { maxFrameBytes = v; return this; }
            public Builder maxMessageChars(int v) { maxMessageChars = v; return this; }
            public Builder handshakeTimeout(Duration v) { handshakeTimeout = v; return this; }
            public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
            public Builder pingInterval(Duration v) { pingInterval = v; return this; }
            public Builder maxBadMessages(int v) { maxBadMessages = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public WebSocket build() {
                return new WebSocket(path, maxFrameBytes, maxMessageChars, handshakeTimeout, idleTimeout,
                                     pingInterval, maxBadMessages, reservedUserIds);
            }
        }
    }

    /**
     * Matching and conversation lifetime ({@code PROTOCOL.md} §3), the waiting queue and the conversation history
     * (§6).
     *
     * @param queueMax         the most users waiting in the queue at once; past it {@code match} with {@code queue}
     *                         fails with {@code QUEUE_FULL}
     * @param queueTimeout     the longest wait in the queue; past it the user gets {@code QUEUE_TIMEOUT}
     * @param historyMax       the most messages kept per conversation (the oldest are dropped); 0 keeps none
     * @param historyRetention how long a conversation's history is kept after it ends
     */
    public record Chat(int agentCapacity, Duration reconnectGrace, Duration slowConsumerTimeout, int queueMax,
                       Duration queueTimeout, int historyMax, Duration historyRetention) {
        public static final int DEFAULT_AGENT_CAPACITY = 50;
        public static final Duration DEFAULT_RECONNECT_GRACE = Duration.ofSeconds(30);
        public static final Duration DEFAULT_SLOW_CONSUMER_TIMEOUT = Duration.ofSeconds(10);
        public static final int DEFAULT_QUEUE_MAX = 1000;
        public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofMinutes(10);
        public static final int DEFAULT_HISTORY_MAX = 100;
        public static final Duration DEFAULT_HISTORY_RETENTION = Duration.ofHours(24);

        public Chat {
            check("agentCapacity", agentCapacity, agentCapacity > 0, "> 0");
            checkNonNegative("reconnectGrace", reconnectGrace);
            checkPositive("slowConsumerTimeout", slowConsumerTimeout);
            check("queueMax", queueMax, queueMax >= 0, ">= 0");
            checkPositive("queueTimeout", queueTimeout);
            check("historyMax", historyMax, historyMax >= 0, ">= 0");
            checkNonNegative("historyRetention", historyRetention);
        }

        /** A builder with every default from the {@code DEFAULT_*} constants. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().agentCapacity(agentCapacity).reconnectGrace(reconnectGrace)
                    .slowConsumerTimeout(slowConsumerTimeout).queueMax(queueMax).queueTimeout(queueTimeout)
                    .historyMax(historyMax).historyRetention(historyRetention);
        }

        /** Collects the chat settings; {@link #build()} validates them. */
        public static final class Builder {
            private int agentCapacity = DEFAULT_AGENT_CAPACITY;
            private Duration reconnectGrace = DEFAULT_RECONNECT_GRACE;
            private Duration slowConsumerTimeout = DEFAULT_SLOW_CONSUMER_TIMEOUT;
            private int queueMax = DEFAULT_QUEUE_MAX;
            private Duration queueTimeout = DEFAULT_QUEUE_TIMEOUT;
            private int historyMax = DEFAULT_HISTORY_MAX;
            private Duration historyRetention = DEFAULT_HISTORY_RETENTION;

            private Builder() {}

            public Builder agentCapacity(int v) { agentCapacity = v; return this; }
            public Builder reconnectGrace(Duration v) { reconnectGrace = v; return this; }
            public Builder slowConsumerTimeout(Duration v) { slowConsumerTimeout = v; return this; }
            public Builder queueMax(int v) { queueMax = v; return this; }
            public Builder queueTimeout(Duration v) { queueTimeout = v; return this; }
            public Builder historyMax(int v) { historyMax = v; return this; }
            public Builder historyRetention(Duration v) { historyRetention = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public Chat build() {
                return new Chat(agentCapacity, reconnectGrace, slowConsumerTimeout, queueMax, queueTimeout,
                                historyMax, historyRetention);
            }
        }
    }

    /**
     * What is held, and where it is kept: messages for a paired peer that is offline or not reading, and on an
     * acknowledging connection every delivery until it is acknowledged ({@code PROTOCOL.md} §5), with the same
     * bounds. On one gateway they, the pairings and the sequences live in {@code dataDir} and survive a restart or a
     * crash ({@code docs/DELIVERY.md}); an empty {@code dataDir} keeps them in memory only. Cluster nodes keep them in
     * Redis and ignore {@code dataDir}.
     *
     * @param dataSync    when the data file is forced to the disk
     * @param dedupWindow how long an acknowledging sender's {@code msgId} is remembered against resends
     */
    public record Offline(int maxPerUser, Duration ttl, int maxTotal, String dataDir, DataSync dataSync,
                          Duration dedupWindow) {
        public static final int DEFAULT_MAX_PER_USER = 200;
        public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);
        public static final int DEFAULT_MAX_TOTAL = 1_000_000;
        public static final String DEFAULT_DATA_DIR = "data";
        public static final DataSync DEFAULT_DATA_SYNC = DataSync.PERIODIC;
        public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofMinutes(5);

        /** When the data file is forced to the disk (fsync); every commit reaches the OS before a promise. */
        public enum DataSync {
            /** Once a second: a process crash loses nothing promised, a power loss up to a second of it. */
            PERIODIC,
            /** Before every promise: a power loss loses nothing promised either, at the cost of an fsync. */
            ALWAYS;

            static DataSync parse(String value) {
                for (DataSync s : values()) {
                    if (s.name().equalsIgnoreCase(value)) {
                        return s;
                    }
                }
                throw new IllegalArgumentException("'" + value + "' (expected: periodic or always)");
            }
        }

        public Offline {
            check("maxPerUser", maxPerUser, maxPerUser > 0, "> 0");
            checkPositive("ttl", ttl);
            check("maxTotal", maxTotal, maxTotal >= maxPerUser, ">= maxPerUser " + maxPerUser);
            requireNonNull(dataDir, "dataDir");
            requireNonNull(dataSync, "dataSync");
            checkPositive("dedupWindow", dedupWindow);
        }

        /** Whether held messages, pairings and sequences are kept on disk ({@code dataDir} is set). */
        public boolean durable() {
            return !dataDir.isEmpty();
        }

        /** A builder with every default from the {@code DEFAULT_*} constants. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().maxPerUser(maxPerUser).ttl(ttl).maxTotal(maxTotal).dataDir(dataDir).dataSync(dataSync)
                            .dedupWindow(dedupWindow);
        }

        /** Collects the hold's settings; {@link #build()} validates them. */
        public static final class Builder {
            private int maxPerUser = DEFAULT_MAX_PER_USER;
            private Duration ttl = DEFAULT_TTL;
            private int maxTotal = DEFAULT_MAX_TOTAL;
            private String dataDir = DEFAULT_DATA_DIR;
            private DataSync dataSync = DEFAULT_DATA_SYNC;
            private Duration dedupWindow = DEFAULT_DEDUP_WINDOW;

            private Builder() {}

            public Builder maxPerUser(int v) { maxPerUser = v; return this; }
            public Builder ttl(Duration v) { ttl = v; return this; }
            public Builder maxTotal(int v) { maxTotal = v; return this; }
            public Builder dataDir(String v) { dataDir = v; return this; }
            public Builder dataSync(DataSync v) { dataSync = v; return this; }
            public Builder dedupWindow(Duration v) { dedupWindow = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public Offline build() {
                return new Offline(maxPerUser, ttl, maxTotal, dataDir, dataSync, dedupWindow);
            }
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

        /** A builder with every default from the {@code DEFAULT_*} constants. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().perSecond(perSecond).burst(burst).agentPerSecond(agentPerSecond).agentBurst(agentBurst);
        }

        /** Collects the bucket sizes and rates; {@link #build()} validates them. */
        public static final class Builder {
            private int perSecond = DEFAULT_PER_SECOND;
            private int burst = DEFAULT_BURST;
            private int agentPerSecond = DEFAULT_AGENT_PER_SECOND;
            private int agentBurst = DEFAULT_AGENT_BURST;

            private Builder() {}

            public Builder perSecond(int v) { perSecond = v; return this; }
            public Builder burst(int v) { burst = v; return this; }
            public Builder agentPerSecond(int v) { agentPerSecond = v; return this; }
            public Builder agentBurst(int v) { agentBurst = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public RateLimit build() {
                return new RateLimit(perSecond, burst, agentPerSecond, agentBurst);
            }
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

        /** A builder with every default from the {@code DEFAULT_*} constants. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().shards(shards).initialCapacityPerShard(initialCapacityPerShard);
        }

        /** Collects the registry's shape; {@link #build()} validates it. */
        public static final class Builder {
            private int shards = DEFAULT_SHARDS;
            private int initialCapacityPerShard = DEFAULT_INITIAL_CAPACITY_PER_SHARD;

            private Builder() {}

            public Builder shards(int v) { shards = v; return this; }
            public Builder initialCapacityPerShard(int v) { initialCapacityPerShard = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public Registry build() {
                return new Registry(shards, initialCapacityPerShard);
            }
        }
    }

    /**
     * Handshake authentication ({@code PROTOCOL.md} §1): off, or a JWT verified with an HS256 shared secret, an RS256
     * or ES256 public key (PEM file), or a JWKS file reloaded when it changes; plus an optional Origin allow-list.
     * {@link #toString()} never shows the secret. Its messages name fields with an {@code auth} prefix
     * ({@code authClockSkew}).
     *
     * @param secret         the HS256 shared secret (at least 32 bytes); empty unless {@code mode} is HS256
     * @param publicKeyFile  the PEM public key of RS256/ES256, or {@code null}
     * @param jwksFile       the JWKS file of mode JWKS, or {@code null}
     * @param clockSkew      tolerance on {@code exp} and {@code nbf}
     * @param keyReloadCheck how often the key file's modification time is checked (off the event loops)
     * @param allowedOrigins browser origins allowed to connect; empty allows any (non-browser clients send none)
     * @param audience       the {@code aud} a token must name; empty: not checked
     * @param issuer         the {@code iss} a token must carry; empty: not checked
     * @param maxLifetime    the longest {@code exp - iat} (or {@code exp - now} without {@code iat}) accepted;
     *                       {@code null}: not checked
     */
    public record Auth(Mode mode, String secret, Path publicKeyFile, Path jwksFile, Duration clockSkew,
                       Duration keyReloadCheck, List<String> allowedOrigins, String audience, String issuer,
                       Duration maxLifetime) {
        public static final Mode DEFAULT_MODE = Mode.OFF;
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
            audience = audience == null ? "" : audience.strip();
            issuer = issuer == null ? "" : issuer.strip();
            if (maxLifetime != null) {
                checkPositive("authMaxLifetime", maxLifetime);
            }
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
                   + keyReloadCheck + ", allowedOrigins=" + allowedOrigins + ", audience=" + audience + ", issuer="
                   + issuer + ", maxLifetime=" + maxLifetime + ']';
        }

        /** A builder with every default from the {@code DEFAULT_*} constants: no secret, key file or origin list. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().mode(mode).secret(secret).publicKeyFile(publicKeyFile).jwksFile(jwksFile)
                    .clockSkew(clockSkew).keyReloadCheck(keyReloadCheck).allowedOrigins(allowedOrigins)
                    .audience(audience).issuer(issuer).maxLifetime(maxLifetime);
        }

        /** Collects the authentication settings; {@link #build()} validates them together. */
        public static final class Builder {
            private Mode mode = DEFAULT_MODE;
            private String secret = "";
            private Path publicKeyFile;
            private Path jwksFile;
            private Duration clockSkew = DEFAULT_CLOCK_SKEW;
            private Duration keyReloadCheck = DEFAULT_KEY_RELOAD_CHECK;
            private List<String> allowedOrigins = List.of();
            private String audience = "";
            private String issuer = "";
            private Duration maxLifetime;

            private Builder() {}

            public Builder audience(String v) { audience = v; return this; }
            public Builder issuer(String v) { issuer = v; return this; }
            public Builder maxLifetime(Duration v) { maxLifetime = v; return this; }
            public Builder mode(Mode v) { mode = v; return this; }
            public Builder secret(String v) { secret = v; return this; }
            public Builder publicKeyFile(Path v) { publicKeyFile = v; return this; }
            public Builder jwksFile(Path v) { jwksFile = v; return this; }
            public Builder clockSkew(Duration v) { clockSkew = v; return this; }
            public Builder keyReloadCheck(Duration v) { keyReloadCheck = v; return this; }
            public Builder allowedOrigins(List<String> v) { allowedOrigins = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field, never a secret's value */
            public Auth build() {
                return new Auth(mode, secret, publicKeyFile, jwksFile, clockSkew, keyReloadCheck, allowedOrigins,
                                audience, issuer, maxLifetime);
            }
        }
    }

    /**
     * The server-side HTTP API for backends ({@code docs/API.md}): its own listener on the gateway's event loops.
     * {@link #toString()} never shows the key. Its messages name fields with an {@code api} prefix ({@code apiPort}).
     *
     * @param port         the API port; {@link #PORT_NEXT_TO_MAIN} by default, see {@link GatewayConfig#apiPort()}
     * @param apiKey       the key backends send as {@code Authorization: Bearer}; empty: no key required
     * @param maxBodyBytes the largest request body accepted (else 413)
     * @param allowedOrigins browser origins whose requests the API serves; a request with another {@code Origin}
     *                       gets 403, and with none listed every browser request does (backends send no Origin)
     * @param insecure     allows the API on a non-loopback address without a key (otherwise the start fails)
     */
    public record Api(boolean enabled, String host, int port, String apiKey, int maxBodyBytes,
                      List<String> allowedOrigins, boolean insecure, boolean tls) {
        public static final boolean DEFAULT_ENABLED = true;
        /** With a certificate configured ({@link Tls}), the API listener serves TLS too unless this is turned off. */
        public static final boolean DEFAULT_TLS = true;
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
            allowedOrigins = List.copyOf(requireNonNull(allowedOrigins, "apiAllowedOrigins"));
            if (enabled && apiKey.isEmpty() && !insecure && !isLoopback(host)) {
                throw new IllegalArgumentException("apiHost: " + host + " without an api-key (expected: a loopback "
                                                   + "address, an api-key, or api-insecure=true to accept that "
                                                   + "anyone who reaches it can push)");
            }
        }

        @Override
        public String toString() {
            return "Api[enabled=" + enabled + ", host=" + host + ", port=" + port + ", apiKey="
                   + (apiKey.isEmpty() ? "none" : "(set)") + ", maxBodyBytes=" + maxBodyBytes + ", allowedOrigins="
                   + allowedOrigins + ", insecure=" + insecure + ", tls=" + tls + ']';
        }

        /** A builder with every default from the {@code DEFAULT_*} constants and no key. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().enabled(enabled).host(host).port(port).apiKey(apiKey).maxBodyBytes(maxBodyBytes)
                    .allowedOrigins(allowedOrigins).insecure(insecure).tls(tls);
        }

        /** Collects the API listener's settings; {@link #build()} validates them. */
        public static final class Builder {
            private boolean enabled = DEFAULT_ENABLED;
            private String host = DEFAULT_HOST;
            private int port = DEFAULT_PORT;
            private String apiKey = "";
            private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
            private List<String> allowedOrigins = List.of();
            private boolean insecure;
            private boolean tls = DEFAULT_TLS;

            private Builder() {}

            public Builder allowedOrigins(List<String> v) { allowedOrigins = v; return this; }
            public Builder insecure(boolean v) { insecure = v; return this; }
            public Builder enabled(boolean v) { enabled = v; return this; }
            public Builder host(String v) { host = v; return this; }
            public Builder port(int v) { port = v; return this; }
            public Builder apiKey(String v) { apiKey = v; return this; }
            public Builder maxBodyBytes(int v) { maxBodyBytes = v; return this; }
            public Builder tls(boolean v) { tls = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public Api build() {
                return new Api(enabled, host, port, apiKey, maxBodyBytes, allowedOrigins, insecure, tls);
            }
        }
    }

    /**
     * Webhooks to backends ({@code docs/WEBHOOKS.md}): the URLs that receive events, the HMAC secret that signs them,
     * and the bounds of the delivery queue. {@link #toString()} never shows the secret. Its messages name fields with
     * a {@code webhook} prefix ({@code webhookUrls}).
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

        /** A builder with every default from the {@code DEFAULT_*} constants: no URL, no secret, no archive. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().urls(urls).secret(secret).queueSize(queueSize).retryWindow(retryWindow)
                    .requestTimeout(requestTimeout).archiveMessages(archiveMessages);
        }

        /** Collects the webhook settings; {@link #build()} validates them together. */
        public static final class Builder {
            private List<URI> urls = List.of();
            private String secret = "";
            private int queueSize = DEFAULT_QUEUE_SIZE;
            private Duration retryWindow = DEFAULT_RETRY_WINDOW;
            private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
            private boolean archiveMessages;

            private Builder() {}

            public Builder urls(List<URI> v) { urls = v; return this; }
            public Builder secret(String v) { secret = v; return this; }
            public Builder queueSize(int v) { queueSize = v; return this; }
            public Builder retryWindow(Duration v) { retryWindow = v; return this; }
            public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
            public Builder archiveMessages(boolean v) { archiveMessages = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field, never the secret's value */
            public Webhooks build() {
                return new Webhooks(urls, secret, queueSize, retryWindow, requestTimeout, archiveMessages);
            }
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
     * @param topology      what {@code redisUrl} names: one Redis, a Redis Cluster (seed nodes) or a Sentinel-watched
     *                      primary
     * @param waitReplicas  replicas a write that backs a promise must reach ({@code WAIT}) before the promise is
     *                      made; -1 ({@code auto}): 1 for cluster and sentinel, 0 for standalone
     * @param waitTimeout   how long such a write waits for its replicas before it is answered anyway (and counted)
     */
    public record Cluster(Mode mode, String redisUrl, String nodeId, Duration heartbeat, Duration nodeTtl,
                          String keyPrefix, Duration remoteTimeout, Topology topology, int waitReplicas,
                          Duration waitTimeout) {
        public static final Mode DEFAULT_MODE = Mode.NONE;
        public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
        public static final String DEFAULT_NODE_ID = "";
        public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(2);
        public static final Duration DEFAULT_NODE_TTL = Duration.ofSeconds(10);
        public static final String DEFAULT_KEY_PREFIX = "sb:";
        public static final Duration DEFAULT_REMOTE_TIMEOUT = Duration.ofSeconds(3);
        public static final Topology DEFAULT_TOPOLOGY = Topology.STANDALONE;
        /** {@code auto}: see {@link #replicasToWaitFor()}. */
        public static final int DEFAULT_WAIT_REPLICAS = -1;
        public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofMillis(500);

        /** How gateways share state. */
        public enum Mode {
            /** One gateway, in memory. */
            NONE,
            /** Several gateways sharing one Redis. */
            REDIS
        }

        /** What kind of Redis deployment {@code redis-url} names ({@code docs/CLUSTER.md}, "Topologies"). */
        public enum Topology {
            /** One Redis server: {@code redis://HOST:PORT}. */
            STANDALONE,
            /** A Redis Cluster: comma-separated seed nodes, {@code redis://HOST:PORT,redis://HOST:PORT}. */
            CLUSTER,
            /** A primary and replicas watched by Sentinels: {@code redis-sentinel://HOST:PORT,HOST:PORT#master}. */
            SENTINEL;

            public static Topology parse(String v) {
                try {
                    return valueOf(v.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("is not a Redis topology (standalone, cluster, sentinel)");
                }
            }
        }

        /** The replicas a write that backs a promise waits for: {@code waitReplicas}, or its {@code auto} value. */
        public int replicasToWaitFor() {
            if (waitReplicas >= 0) {
                return waitReplicas;
            }
            return topology == Topology.STANDALONE ? 0 : 1;
        }

        public Cluster {
            requireNonNull(mode, "mode");
            requireNonNull(redisUrl, "redisUrl");
            requireNonNull(nodeId, "nodeId");
            requireNonNull(keyPrefix, "keyPrefix");
            requireNonNull(topology, "topology");
            if (mode == Mode.REDIS) {
                checkRedisUrl(topology, redisUrl);
            }
            if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
                throw new IllegalArgumentException("keyPrefix: " + keyPrefix + " (expected: no '{' or '}': the"
                                                   + " keys carry hash tags of their own)");
            }
            if (waitReplicas < -1) {
                throw new IllegalArgumentException("waitReplicas: " + waitReplicas + " (expected: auto or >= 0)");
            }
            checkPositive("waitTimeout", waitTimeout);
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

        private static void checkRedisUrl(Topology topology, String redisUrl) {
            switch (topology) {
                case STANDALONE -> {
                    if (!(redisUrl.startsWith("redis://") || redisUrl.startsWith("rediss://"))
                        || redisUrl.contains(",")) {
                        throw new IllegalArgumentException("redisUrl: " + redisUrl
                                                           + " (expected: redis://HOST:PORT for redis-topology"
                                                           + " standalone)");
                    }
                }
                case CLUSTER -> {
                    for (String seed : redisUrl.split(",")) {
                        final String s = seed.trim();
                        if (!(s.startsWith("redis://") || s.startsWith("rediss://"))) {
                            throw new IllegalArgumentException("redisUrl: " + redisUrl
                                                               + " (expected: redis://HOST:PORT,redis://HOST:PORT..."
                                                               + " for redis-topology cluster)");
                        }
                    }
                }
                case SENTINEL -> {
                    if (!(redisUrl.startsWith("redis-sentinel://") || redisUrl.startsWith("rediss-sentinel://"))
                        || !redisUrl.contains("#")) {
                        throw new IllegalArgumentException("redisUrl: " + redisUrl
                                                           + " (expected: redis-sentinel://HOST:PORT,HOST:PORT#MASTER"
                                                           + " for redis-topology sentinel)");
                    }
                }
            }
        }

        /** A builder with every default from the {@code DEFAULT_*} constants. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().mode(mode).redisUrl(redisUrl).nodeId(nodeId).heartbeat(heartbeat).nodeTtl(nodeTtl)
                    .keyPrefix(keyPrefix).remoteTimeout(remoteTimeout).topology(topology).waitReplicas(waitReplicas)
                    .waitTimeout(waitTimeout);
        }

        /** Collects the cluster settings; {@link #build()} validates them together. */
        public static final class Builder {
            private Mode mode = DEFAULT_MODE;
            private String redisUrl = DEFAULT_REDIS_URL;
            private String nodeId = DEFAULT_NODE_ID;
            private Duration heartbeat = DEFAULT_HEARTBEAT;
            private Duration nodeTtl = DEFAULT_NODE_TTL;
            private String keyPrefix = DEFAULT_KEY_PREFIX;
            private Duration remoteTimeout = DEFAULT_REMOTE_TIMEOUT;
            private Topology topology = DEFAULT_TOPOLOGY;
            private int waitReplicas = DEFAULT_WAIT_REPLICAS;
            private Duration waitTimeout = DEFAULT_WAIT_TIMEOUT;

            private Builder() {}

            public Builder mode(Mode v) { mode = v; return this; }
            public Builder redisUrl(String v) { redisUrl = v; return this; }
            public Builder nodeId(String v) { nodeId = v; return this; }
            public Builder heartbeat(Duration v) { heartbeat = v; return this; }
            public Builder nodeTtl(Duration v) { nodeTtl = v; return this; }
            public Builder keyPrefix(String v) { keyPrefix = v; return this; }
            public Builder remoteTimeout(Duration v) { remoteTimeout = v; return this; }
            public Builder topology(Topology v) { topology = v; return this; }
            public Builder waitReplicas(int v) { waitReplicas = v; return this; }
            public Builder waitTimeout(Duration v) { waitTimeout = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public Cluster build() {
                return new Cluster(mode, redisUrl, nodeId, heartbeat, nodeTtl, keyPrefix, remoteTimeout, topology,
                                   waitReplicas, waitTimeout);
            }
        }
    }

    /**
     * Native TLS on both listeners ({@code docs/TLS.md}): a PEM certificate chain and its PKCS#8 private key, re-read
     * when either file changes. Off unless both files are given. Its messages name fields with a {@code tls} prefix
     * ({@code tlsCert}).
     *
     * @param cert        the certificate chain, leaf first (PEM); {@code null}: TLS off
     * @param key         the leaf's private key, unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY})
     * @param provider    which TLS implementation: OpenSSL (BoringSSL from netty-tcnative) where it loads, else the JDK
     * @param reloadCheck how often the two files are checked for changes
     */
    public record Tls(Path cert, Path key, Provider provider, Duration reloadCheck) {
        public static final Provider DEFAULT_PROVIDER = Provider.AUTO;
        public static final Duration DEFAULT_RELOAD_CHECK = Duration.ofSeconds(10);

        /** The TLS implementation. */
        public enum Provider {
            /** OpenSSL when netty-tcnative loads on this platform, else the JDK's. */
            AUTO,
            /** OpenSSL (BoringSSL) only: the start fails if it does not load. */
            OPENSSL,
            /** The JDK's own implementation. */
            JDK;

            /** Parses {@code auto|openssl|jdk}. */
            public static Provider parse(String s) {
                try {
                    return valueOf(s.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("is not one of auto, openssl, jdk");
                }
            }
        }

        public Tls {
            requireNonNull(provider, "tlsProvider");
            checkPositive("tlsReloadCheck", reloadCheck);
            if (cert != null && key == null) {
                throw new IllegalArgumentException("tlsKey: none (expected: the private key of tls-cert " + cert + ')');
            }
            if (key != null && cert == null) {
                throw new IllegalArgumentException("tlsCert: none (expected: the certificate of tls-key " + key + ')');
            }
        }

        /** Whether the listeners serve TLS. */
        public boolean enabled() {
            return cert != null;
        }

        /** A builder with every default from the {@code DEFAULT_*} constants: TLS off. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these settings. */
        public Builder toBuilder() {
            return builder().cert(cert).key(key).provider(provider).reloadCheck(reloadCheck);
        }

        /** Collects the TLS settings; {@link #build()} validates them together. */
        public static final class Builder {
            private Path cert;
            private Path key;
            private Provider provider = DEFAULT_PROVIDER;
            private Duration reloadCheck = DEFAULT_RELOAD_CHECK;

            private Builder() {}

            public Builder cert(Path v) { cert = v; return this; }
            public Builder key(Path v) { key = v; return this; }
            public Builder provider(Provider v) { provider = v; return this; }
            public Builder reloadCheck(Duration v) { reloadCheck = v; return this; }

            /** @throws IllegalArgumentException naming the first invalid field and its value */
            public Tls build() {
                return new Tls(cert, key, provider, reloadCheck);
            }
        }
    }

    /** A builder with every default from the sections' {@code DEFAULT_*} constants. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this configuration. */
    public Builder toBuilder() {
        return builder().server(server).webSocket(webSocket).chat(chat).offline(offline).rateLimit(rateLimit)
                .registry(registry).auth(auth).api(api).webhooks(webhooks).cluster(cluster).tls(tls);
    }

    /**
     * Composes one builder per section; {@link #build()} validates them all. A whole section can be given as a record
     * ({@link #cluster(Cluster)}); the flat setters ({@link #port(int)}, {@link #authMode(Auth.Mode)}) predate the
     * section builders, are what most callers use, and each writes one field of one section builder.
     */
    public static final class Builder {
        private Server.Builder server = Server.builder();
        private WebSocket.Builder webSocket = WebSocket.builder();
        private Chat.Builder chat = Chat.builder();
        private Offline.Builder offline = Offline.builder();
        private RateLimit.Builder rateLimit = RateLimit.builder();
        private Registry.Builder registry = Registry.builder();
        private Auth.Builder auth = Auth.builder();
        private Api.Builder api = Api.builder();
        private Webhooks.Builder webhooks = Webhooks.builder();
        private Cluster.Builder cluster = Cluster.builder();
        private Tls.Builder tls = Tls.builder();

        private Builder() {}

        public Builder server(Server v) { server = v.toBuilder(); return this; }
        public Builder webSocket(WebSocket v) { webSocket = v.toBuilder(); return this; }
        public Builder chat(Chat v) { chat = v.toBuilder(); return this; }
        public Builder offline(Offline v) { offline = v.toBuilder(); return this; }
        public Builder rateLimit(RateLimit v) { rateLimit = v.toBuilder(); return this; }
        public Builder registry(Registry v) { registry = v.toBuilder(); return this; }
        public Builder auth(Auth v) { auth = v.toBuilder(); return this; }
        public Builder api(Api v) { api = v.toBuilder(); return this; }
        public Builder webhooks(Webhooks v) { webhooks = v.toBuilder(); return this; }
        public Builder cluster(Cluster v) { cluster = v.toBuilder(); return this; }
        public Builder tls(Tls v) { tls = v.toBuilder(); return this; }

        // The section builders themselves, for ConfigLoader: it fills and builds one section at a time, so that it
        // knows which section a validation message comes from.
        Server.Builder server() { return server; }
        WebSocket.Builder webSocket() { return webSocket; }
        Chat.Builder chat() { return chat; }
        Offline.Builder offline() { return offline; }
        RateLimit.Builder rateLimit() { return rateLimit; }
        Registry.Builder registry() { return registry; }
        Auth.Builder auth() { return auth; }
        Api.Builder api() { return api; }
        Webhooks.Builder webhooks() { return webhooks; }
        Cluster.Builder cluster() { return cluster; }
        Tls.Builder tls() { return tls; }

        public Builder host(String v) { server.host(v); return this; }
        public Builder port(int v) { server.port(v); return this; }
        public Builder ioThreads(int v) { server.ioThreads(v); return this; }
        public Builder maxConnections(int v) { server.maxConnections(v); return this; }
        public Builder backlog(int v) { server.backlog(v); return this; }
        public Builder writeBufferLowBytes(int v) { server.writeBufferLowBytes(v); return this; }
        public Builder writeBufferHighBytes(int v) { server.writeBufferHighBytes(v); return this; }
        public Builder shutdownTimeout(Duration v) { server.shutdownTimeout(v); return this; }
        public Builder frameAncestors(String v) { server.frameAncestors(v); return this; }
        public Builder reservedUserIds(List<String> v) { webSocket.reservedUserIds(v); return this; }
        public Builder authAudience(String v) { auth.audience(v); return this; }
        public Builder authIssuer(String v) { auth.issuer(v); return this; }
        public Builder authMaxLifetime(Duration v) { auth.maxLifetime(v); return this; }
        public Builder apiAllowedOrigins(List<String> v) { api.allowedOrigins(v); return this; }
        public Builder apiInsecure(boolean v) { api.insecure(v); return this; }
        public Builder path(String v) { webSocket.path(v); return this; }
        public Builder maxFrameBytes(int v) { webSocket.maxFrameBytes(v); return this; }
        public Builder maxMessageChars(int v) { webSocket.maxMessageChars(v); return this; }
        public Builder handshakeTimeout(Duration v) { webSocket.handshakeTimeout(v); return this; }
        public Builder idleTimeout(Duration v) { webSocket.idleTimeout(v); return this; }
        public Builder pingInterval(Duration v) { webSocket.pingInterval(v); return this; }
        public Builder maxBadMessages(int v) { webSocket.maxBadMessages(v); return this; }
        public Builder agentCapacity(int v) { chat.agentCapacity(v); return this; }
        public Builder reconnectGrace(Duration v) { chat.reconnectGrace(v); return this; }
        public Builder queueMax(int v) { chat.queueMax(v); return this; }
        public Builder queueTimeout(Duration v) { chat.queueTimeout(v); return this; }
        public Builder historyMax(int v) { chat.historyMax(v); return this; }
        public Builder historyRetention(Duration v) { chat.historyRetention(v); return this; }
        public Builder slowConsumerTimeout(Duration v) { chat.slowConsumerTimeout(v); return this; }
        public Builder offlineMaxPerUser(int v) { offline.maxPerUser(v); return this; }
        public Builder offlineTtl(Duration v) { offline.ttl(v); return this; }
        public Builder offlineMaxTotal(int v) { offline.maxTotal(v); return this; }
        public Builder dataDir(String v) { offline.dataDir(v); return this; }
        public Builder dataSync(Offline.DataSync v) { offline.dataSync(v); return this; }
        public Builder dedupWindow(Duration v) { offline.dedupWindow(v); return this; }
        public Builder ratePerSecond(int v) { rateLimit.perSecond(v); return this; }
        public Builder rateBurst(int v) { rateLimit.burst(v); return this; }
        public Builder agentRatePerSecond(int v) { rateLimit.agentPerSecond(v); return this; }
        public Builder agentRateBurst(int v) { rateLimit.agentBurst(v); return this; }
        public Builder registryShards(int v) { registry.shards(v); return this; }
        public Builder registryInitialCapacityPerShard(int v) { registry.initialCapacityPerShard(v); return this; }
        public Builder authMode(Auth.Mode v) { auth.mode(v); return this; }
        public Builder authSecret(String v) { auth.secret(v); return this; }
        public Builder authPublicKeyFile(Path v) { auth.publicKeyFile(v); return this; }
        public Builder authJwksFile(Path v) { auth.jwksFile(v); return this; }
        public Builder authClockSkew(Duration v) { auth.clockSkew(v); return this; }
        public Builder authKeyReloadCheck(Duration v) { auth.keyReloadCheck(v); return this; }
        public Builder allowedOrigins(List<String> v) { auth.allowedOrigins(v); return this; }
        public Builder apiEnabled(boolean v) { api.enabled(v); return this; }
        public Builder apiHost(String v) { api.host(v); return this; }
        public Builder apiPort(int v) { api.port(v); return this; }
        public Builder apiKey(String v) { api.apiKey(v); return this; }
        public Builder apiMaxBodyBytes(int v) { api.maxBodyBytes(v); return this; }
        public Builder apiTls(boolean v) { api.tls(v); return this; }
        public Builder webhookUrls(List<URI> v) { webhooks.urls(v); return this; }
        public Builder webhookSecret(String v) { webhooks.secret(v); return this; }
        public Builder webhookQueueSize(int v) { webhooks.queueSize(v); return this; }
        public Builder webhookRetryWindow(Duration v) { webhooks.retryWindow(v); return this; }
        public Builder webhookRequestTimeout(Duration v) { webhooks.requestTimeout(v); return this; }
        public Builder webhookArchiveMessages(boolean v) { webhooks.archiveMessages(v); return this; }
        public Builder clusterMode(Cluster.Mode v) { cluster.mode(v); return this; }
        public Builder redisUrl(String v) { cluster.redisUrl(v); return this; }
        public Builder nodeId(String v) { cluster.nodeId(v); return this; }
        public Builder nodeHeartbeat(Duration v) { cluster.heartbeat(v); return this; }
        public Builder nodeTtl(Duration v) { cluster.nodeTtl(v); return this; }
        public Builder redisKeyPrefix(String v) { cluster.keyPrefix(v); return this; }
        public Builder remoteTimeout(Duration v) { cluster.remoteTimeout(v); return this; }
        public Builder redisTopology(Cluster.Topology v) { cluster.topology(v); return this; }
        public Builder redisWaitReplicas(int v) { cluster.waitReplicas(v); return this; }
        public Builder redisWaitTimeout(Duration v) { cluster.waitTimeout(v); return this; }
        public Builder tlsCert(Path v) { tls.cert(v); return this; }
        public Builder tlsKey(Path v) { tls.key(v); return this; }
        public Builder tlsProvider(Tls.Provider v) { tls.provider(v); return this; }
        public Builder tlsReloadCheck(Duration v) { tls.reloadCheck(v); return this; }

        /**
         * @throws IllegalArgumentException naming the first invalid setting and its value
         */
        public GatewayConfig build() {
            return new GatewayConfig(server.build(), webSocket.build(), chat.build(), offline.build(),
                                     rateLimit.build(), registry.build(), auth.build(), api.build(), webhooks.build(),
                                     cluster.build(), tls.build());
        }
    }

    /**
     * Whether {@code host} is a loopback address: {@code localhost}, {@code 127.x.x.x} or {@code ::1}. Decided on the
     * text alone (no DNS look-up): any other name counts as reachable from elsewhere.
     */
    public static boolean isLoopback(String host) {
        final String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.equals("::1") || h.equals("[::1]") || h.equals("0:0:0:0:0:0:0:1")) {
            return true;
        }
        return h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
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
