package io.switchboard.gateway.config;

import static io.switchboard.gateway.config.Setting.Type.AUTH_MODE;
import static io.switchboard.gateway.config.Setting.Type.BOOLEAN;
import static io.switchboard.gateway.config.Setting.Type.BYTES;
import static io.switchboard.gateway.config.Setting.Type.CLUSTER_MODE;
import static io.switchboard.gateway.config.Setting.Type.DATA_SYNC;
import static io.switchboard.gateway.config.Setting.Type.DURATION;
import static io.switchboard.gateway.config.Setting.Type.INT;
import static io.switchboard.gateway.config.Setting.Type.LIST;
import static io.switchboard.gateway.config.Setting.Type.MAX_CONNECTIONS;
import static io.switchboard.gateway.config.Setting.Type.OPTIONAL;
import static io.switchboard.gateway.config.Setting.Type.OPTIONAL_DURATION;
import static io.switchboard.gateway.config.Setting.Type.ORIGINS;
import static io.switchboard.gateway.config.Setting.Type.PATH;
import static io.switchboard.gateway.config.Setting.Type.REDIS_TOPOLOGY;
import static io.switchboard.gateway.config.Setting.Type.SECRET;
import static io.switchboard.gateway.config.Setting.Type.STRING;
import static io.switchboard.gateway.config.Setting.Type.TLS_PROVIDER;
import static io.switchboard.gateway.config.Setting.Type.URLS;
import static io.switchboard.gateway.config.Setting.Type.WAIT_REPLICAS;

import io.switchboard.gateway.config.GatewayConfig.Api;
import io.switchboard.gateway.config.GatewayConfig.Auth;
import io.switchboard.gateway.config.GatewayConfig.Chat;
import io.switchboard.gateway.config.GatewayConfig.Cluster;
import io.switchboard.gateway.config.GatewayConfig.Offline;
import io.switchboard.gateway.config.GatewayConfig.RateLimit;
import io.switchboard.gateway.config.GatewayConfig.Registry;
import io.switchboard.gateway.config.GatewayConfig.Server;
import io.switchboard.gateway.config.GatewayConfig.Tls;
import io.switchboard.gateway.config.GatewayConfig.WebSocket;
import io.switchboard.gateway.config.GatewayConfig.Webhooks;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One setting of the command line: its key (flag {@code --key}, variable {@code SWITCHBOARD_KEY}), what it means,
 * and the record component it sets. {@link #ALL} is the table of every setting, in {@code --help} order; it is the
 * only place that ties a key to a field, so the default shown in {@code --help} is read from that field and a
 * validation message naming the field is traced back to the key.
 *
 * @param key         the name of the flag, the variable and the config file entry ({@code idle-timeout})
 * @param description what it means, for {@code --help}
 * @param section     the {@link GatewayConfig} section the component belongs to
 * @param component   the record component it sets, as the section names it
 * @param secret      whether the value is never echoed and may come from a {@code SWITCHBOARD_KEY_FILE}
 * @param apply       parses a value and writes it into the section's builder
 * @param value       reads the component from a configuration
 * @param show        reads the component from a configuration, written as the setting takes it
 */
record Setting(String key, String description, Section<?, ?> section, String component, boolean secret,
               BiConsumer<GatewayConfig.Builder, String> apply, Function<GatewayConfig, Object> value,
               Function<GatewayConfig, String> show) {

    private static final GatewayConfig DEFAULTS = GatewayConfig.builder().build();

    String flag() {
        return "--" + key;
    }

    String env() {
        return ConfigLoader.ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The default as {@code --help} shows it, and as the setting would read it back. */
    String defaultValue() {
        return show.apply(DEFAULTS);
    }

    /** The name the section gives this component in its validation messages. */
    String fieldName() {
        final String prefix = section.messagePrefix();
        return prefix.isEmpty() ? component
                                : prefix + Character.toUpperCase(component.charAt(0)) + component.substring(1);
    }

    /**
     * A section of {@link GatewayConfig}: how to reach its builder inside the top one, build it, and read it back.
     *
     * @param messagePrefix what the section puts before a field's name in its messages ({@code auth} in
     *                      {@code authClockSkew}), so that two sections' fields never share a name
     */
    record Section<R, B>(String messagePrefix, Function<GatewayConfig.Builder, B> builder, Function<B, R> build,
                         Function<GatewayConfig, R> get) {

        /** Builds this section alone from the top builder, so that a failure is known to come from it. */
        R buildFrom(GatewayConfig.Builder top) {
            return build.apply(builder.apply(top));
        }

        /** A setting of this section: {@code set} writes the parsed value, {@code get} reads it back. */
        <T> Setting setting(String key, String component, Type<T> type, BiConsumer<B, T> set, Function<R, T> get,
                            String description) {
            final Function<GatewayConfig, T> read = c -> get.apply(this.get.apply(c));
            return new Setting(key, description, this, component, type.secret(),
                               (b, v) -> set.accept(builder.apply(b), type.parse().apply(v)), read::apply,
                               c -> type.format().apply(read.apply(c)));
        }
    }

    /** How a value is written on the command line: parsed, and formatted back (for {@code --help}). */
    record Type<T>(Function<String, T> parse, Function<T, String> format, boolean secret) {
        static final Type<String> STRING = new Type<>(Function.identity(), Function.identity(), false);
        /** An empty string shows, and reads back, as {@code none}. */
        static final Type<String> OPTIONAL = new Type<>(ConfigLoader::noneAsEmpty, Type::emptyAsNone, false);
        static final Type<String> SECRET = new Type<>(ConfigLoader::noneAsEmpty, Type::emptyAsNone, true);
        static final Type<Integer> INT = new Type<>(ConfigLoader::parseInt, i -> Integer.toString(i), false);
        static final Type<Integer> BYTES = new Type<>(ConfigLoader::parseBytes, Type::bytes, false);
        static final Type<Duration> DURATION = new Type<>(ConfigLoader::parseDuration, Type::duration, false);
        /** {@code none} (shown and read back) is {@code null}: not checked. */
        static final Type<Duration> OPTIONAL_DURATION = new Type<>(
                v -> "none".equalsIgnoreCase(v.trim()) ? null : ConfigLoader.parseDuration(v),
                d -> d == null ? "none" : duration(d), false);
        /** {@code auto} (shown and read back) is 0: the process's file limit minus headroom. */
        static final Type<Integer> MAX_CONNECTIONS = new Type<>(
                v -> "auto".equalsIgnoreCase(v.trim()) ? 0 : ConfigLoader.parseInt(v),
                i -> i == 0 ? "auto" : Integer.toString(i), false);
        /** A comma-separated list whose empty value shows as {@code none}. */
        static final Type<List<String>> LIST = new Type<>(ConfigLoader::parseList,
                                                          l -> l.isEmpty() ? "none" : String.join(",", l), false);
        static final Type<Boolean> BOOLEAN = new Type<>(ConfigLoader::parseBoolean, b -> Boolean.toString(b), false);
        static final Type<Path> PATH = new Type<>(ConfigLoader::parsePath, p -> p == null ? "none" : p.toString(),
                                                  false);
        /** An empty list of origins allows any origin, and shows as {@code any}. */
        static final Type<List<String>> ORIGINS = new Type<>(ConfigLoader::parseList,
                                                             l -> l.isEmpty() ? "any" : String.join(",", l), false);
        static final Type<List<URI>> URLS = new Type<>(ConfigLoader::parseUris, Type::urls, false);
        static final Type<Auth.Mode> AUTH_MODE = new Type<>(Auth.Mode::parse, Type::lowerCase, false);
        static final Type<Offline.DataSync> DATA_SYNC = new Type<>(Offline.DataSync::parse, Type::lowerCase, false);
        static final Type<Cluster.Mode> CLUSTER_MODE = new Type<>(ConfigLoader::parseMode, Type::lowerCase, false);
        static final Type<Cluster.Topology> REDIS_TOPOLOGY = new Type<>(Cluster.Topology::parse, Type::lowerCase,
                                                                        false);
        /** {@code auto} (shown and read back) is -1: 1 replica for cluster and sentinel, 0 for standalone. */
        static final Type<Integer> WAIT_REPLICAS = new Type<>(
                v -> "auto".equalsIgnoreCase(v.trim()) ? -1 : ConfigLoader.parseInt(v),
                i -> i < 0 ? "auto" : Integer.toString(i), false);
        static final Type<Tls.Provider> TLS_PROVIDER = new Type<>(Tls.Provider::parse, Type::lowerCase, false);

        private static String emptyAsNone(String s) {
            return s.isEmpty() ? "none" : s;
        }

        private static String bytes(int v) {
            return v % 1024 == 0 ? (v / 1024) + "KiB" : Integer.toString(v);
        }

        private static String duration(Duration d) {
            if (d.toMillis() % 3_600_000 == 0 && d.toHours() > 0) {
                return d.toHours() + "h";
            }
            if (d.toMillis() % 60_000 == 0 && d.toMinutes() > 0) {
                return d.toMinutes() + "m";
            }
            return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
        }

        private static String urls(List<URI> urls) {
            return urls.isEmpty() ? "none" : urls.stream().map(URI::toString).collect(Collectors.joining(","));
        }

        private static String lowerCase(Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT);
        }
    }

    static final Section<Server, Server.Builder> SERVER =
            new Section<>("", GatewayConfig.Builder::server, Server.Builder::build, GatewayConfig::server);
    static final Section<WebSocket, WebSocket.Builder> WEB_SOCKET =
            new Section<>("", GatewayConfig.Builder::webSocket, WebSocket.Builder::build, GatewayConfig::webSocket);
    static final Section<Chat, Chat.Builder> CHAT =
            new Section<>("", GatewayConfig.Builder::chat, Chat.Builder::build, GatewayConfig::chat);
    static final Section<Offline, Offline.Builder> OFFLINE =
            new Section<>("", GatewayConfig.Builder::offline, Offline.Builder::build, GatewayConfig::offline);
    static final Section<RateLimit, RateLimit.Builder> RATE_LIMIT =
            new Section<>("", GatewayConfig.Builder::rateLimit, RateLimit.Builder::build, GatewayConfig::rateLimit);
    static final Section<Registry, Registry.Builder> REGISTRY =
            new Section<>("", GatewayConfig.Builder::registry, Registry.Builder::build, GatewayConfig::registry);
    static final Section<Auth, Auth.Builder> AUTH =
            new Section<>("auth", GatewayConfig.Builder::auth, Auth.Builder::build, GatewayConfig::auth);
    static final Section<Api, Api.Builder> API =
            new Section<>("api", GatewayConfig.Builder::api, Api.Builder::build, GatewayConfig::api);
    static final Section<Webhooks, Webhooks.Builder> WEBHOOKS =
            new Section<>("webhook", GatewayConfig.Builder::webhooks, Webhooks.Builder::build, GatewayConfig::webhooks);
    static final Section<Cluster, Cluster.Builder> CLUSTER =
            new Section<>("", GatewayConfig.Builder::cluster, Cluster.Builder::build, GatewayConfig::cluster);
    static final Section<Tls, Tls.Builder> TLS =
            new Section<>("tls", GatewayConfig.Builder::tls, Tls.Builder::build, GatewayConfig::tls);

    /** Every section, in the order {@link GatewayConfig.Builder#build()} validates them. */
    static final List<Section<?, ?>> SECTIONS =
            List.of(SERVER, WEB_SOCKET, CHAT, OFFLINE, RATE_LIMIT, REGISTRY, AUTH, API, WEBHOOKS, CLUSTER, TLS);

    /** Every setting, in {@code --help} order. */
    static final List<Setting> ALL = List.of(
            SERVER.setting("host", "host", STRING, Server.Builder::host, Server::host, "Address to listen on."),
            SERVER.setting("port", "port", INT, Server.Builder::port, Server::port,
                           "WebSocket and HTTP port (0 picks a free one)."),
            SERVER.setting("io-threads", "ioThreads", INT, Server.Builder::ioThreads, Server::ioThreads,
                           "Event-loop threads (0: one per available core)."),
            SERVER.setting("max-connections", "maxConnections", MAX_CONNECTIONS, Server.Builder::maxConnections,
                           Server::maxConnections, "Connections accepted at once; more are closed at accept. auto: "
                           + "the open-files limit minus 5%% (at least 256) for the API, health checks and files."),
            SERVER.setting("backlog", "backlog", INT, Server.Builder::backlog, Server::backlog,
                           "Listen backlog (also bounded by net.core.somaxconn)."),
            SERVER.setting("write-buffer-low", "writeBufferLowBytes", BYTES, Server.Builder::writeBufferLowBytes,
                           Server::writeBufferLowBytes, "Per-connection write buffer low water mark."),
            SERVER.setting("write-buffer-high", "writeBufferHighBytes", BYTES, Server.Builder::writeBufferHighBytes,
                           Server::writeBufferHighBytes,
                           "Per-connection write buffer high water mark: above it a peer is slow."),
            TLS.setting("tls-cert", "cert", PATH, Tls.Builder::cert, Tls::cert,
                        "PEM certificate chain (leaf first): both listeners serve TLS 1.2/1.3 (wss://, https://); "
                        + "re-read when it changes (docs/TLS.md)."),
            TLS.setting("tls-key", "key", PATH, Tls.Builder::key, Tls::key,
                        "Private key of tls-cert, unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY)."),
            TLS.setting("tls-provider", "provider", TLS_PROVIDER, Tls.Builder::provider, Tls::provider,
                        "auto: OpenSSL (netty-tcnative BoringSSL) where it loads, else the JDK; openssl; jdk."),
            TLS.setting("tls-reload-check", "reloadCheck", DURATION, Tls.Builder::reloadCheck, Tls::reloadCheck,
                        "How often tls-cert and tls-key are checked for changes; new connections get the new ones."),
            SERVER.setting("shutdown-timeout", "shutdownTimeout", DURATION, Server.Builder::shutdownTimeout,
                           Server::shutdownTimeout, "How long a graceful shutdown waits for connections to close."),
            SERVER.setting("frame-ancestors", "frameAncestors", STRING, Server.Builder::frameAncestors,
                           Server::frameAncestors, "CSP frame-ancestors of the pages: who may embed the widget "
                           + "(space-separated sources, e.g. 'self' https://shop.example.com)."),
            WEB_SOCKET.setting("path", "path", STRING, WebSocket.Builder::path, WebSocket::path,
                               "WebSocket path prefix; clients connect to PATH/{userId}."),
            WEB_SOCKET.setting("max-frame-bytes", "maxFrameBytes", BYTES, WebSocket.Builder::maxFrameBytes,
                               WebSocket::maxFrameBytes,
                               "Largest message, after reassembling fragments (else close 1009)."),
            WEB_SOCKET.setting("max-message-chars", "maxMessageChars", INT, WebSocket.Builder::maxMessageChars,
                               WebSocket::maxMessageChars, "Longest msg of a normal message (else MSG_TOO_LONG)."),
            WEB_SOCKET.setting("handshake-timeout", "handshakeTimeout", DURATION, WebSocket.Builder::handshakeTimeout,
                               WebSocket::handshakeTimeout, "Time from TCP accept to a completed WebSocket upgrade."),
            WEB_SOCKET.setting("idle-timeout", "idleTimeout", DURATION, WebSocket.Builder::idleTimeout,
                               WebSocket::idleTimeout, "Close a connection silent this long (close 1001)."),
            WEB_SOCKET.setting("ping-interval", "pingInterval", DURATION, WebSocket.Builder::pingInterval,
                               WebSocket::pingInterval, "Send a WebSocket ping after this long without writing."),
            WEB_SOCKET.setting("max-bad-messages", "maxBadMessages", INT, WebSocket.Builder::maxBadMessages,
                               WebSocket::maxBadMessages, "Consecutive malformed messages before close 1008."),
            WEB_SOCKET.setting("reserved-user-ids", "reservedUserIds", LIST, WebSocket.Builder::reservedUserIds,
                               WebSocket::reservedUserIds, "Comma-separated userIds refused at the handshake and on "
                               + "the API, besides system and * (always reserved)."),
            CHAT.setting("agent-capacity", "agentCapacity", INT, Chat.Builder::agentCapacity, Chat::agentCapacity,
                         "Users one agent serves at once."),
            CHAT.setting("reconnect-grace", "reconnectGrace", DURATION, Chat.Builder::reconnectGrace,
                         Chat::reconnectGrace, "How long a disconnected peer keeps its pairing."),
            CHAT.setting("slow-consumer-timeout", "slowConsumerTimeout", DURATION, Chat.Builder::slowConsumerTimeout,
                         Chat::slowConsumerTimeout, "How long a peer may stay unwritable before close 1013."),
            CHAT.setting("queue-max", "queueMax", INT, Chat.Builder::queueMax, Chat::queueMax,
                         "Users waiting for an agent at once (match with queue); past it QUEUE_FULL. 0: no queue."),
            CHAT.setting("queue-timeout", "queueTimeout", DURATION, Chat.Builder::queueTimeout, Chat::queueTimeout,
                         "Longest wait in the queue; past it QUEUE_TIMEOUT."),
            CHAT.setting("history-max", "historyMax", INT, Chat.Builder::historyMax, Chat::historyMax,
                         "Messages kept per conversation for history (the oldest are dropped); 0: none."),
            CHAT.setting("history-retention", "historyRetention", DURATION, Chat.Builder::historyRetention,
                         Chat::historyRetention, "How long a conversation's history is kept after it ends."),
            OFFLINE.setting("offline-max-per-user", "maxPerUser", INT, Offline.Builder::maxPerUser,
                            Offline::maxPerUser, "Messages held for one offline user; past it the oldest are dropped."),
            OFFLINE.setting("offline-ttl", "ttl", DURATION, Offline.Builder::ttl, Offline::ttl,
                            "How long a held message waits for its recipient."),
            OFFLINE.setting("offline-max-total", "maxTotal", INT, Offline.Builder::maxTotal, Offline::maxTotal,
                            "Messages held for all users together."),
            OFFLINE.setting("data-dir", "dataDir", OPTIONAL, Offline.Builder::dataDir, Offline::dataDir,
                            "Where one gateway keeps held messages, pairings and sequences across restarts; none: "
                            + "in memory only (docs/DELIVERY.md). Cluster nodes keep them in Redis."),
            OFFLINE.setting("data-sync", "dataSync", DATA_SYNC, Offline.Builder::dataSync, Offline::dataSync,
                            "When the data file is forced to disk: periodic (every second) or always (before "
                            + "every promise)."),
            OFFLINE.setting("dedup-window", "dedupWindow", DURATION, Offline.Builder::dedupWindow,
                            Offline::dedupWindow, "How long an ack=1 sender's msgId is remembered against resends."),
            RATE_LIMIT.setting("rate-limit", "perSecond", INT, RateLimit.Builder::perSecond, RateLimit::perSecond,
                               "Messages per second one connection may send (token refill rate)."),
            RATE_LIMIT.setting("rate-burst", "burst", INT, RateLimit.Builder::burst, RateLimit::burst,
                               "Token bucket size: messages one connection may send at once."),
            RATE_LIMIT.setting("agent-rate-limit", "agentPerSecond", INT, RateLimit.Builder::agentPerSecond,
                               RateLimit::agentPerSecond, "Messages per second one agent connection may send."),
            RATE_LIMIT.setting("agent-rate-burst", "agentBurst", INT, RateLimit.Builder::agentBurst,
                               RateLimit::agentBurst, "Token bucket size of an agent connection."),
            REGISTRY.setting("registry-shards", "shards", INT, Registry.Builder::shards, Registry::shards,
                             "Session registry shards (a power of two)."),
            REGISTRY.setting("registry-capacity", "initialCapacityPerShard", INT,
                             Registry.Builder::initialCapacityPerShard, Registry::initialCapacityPerShard,
                             "Initial capacity of each registry shard."),
            AUTH.setting("auth-mode", "mode", AUTH_MODE, Auth.Builder::mode, Auth::mode,
                         "Handshake authentication: off, hs256, rs256, es256 or jwks (PROTOCOL.md §1)."),
            AUTH.setting("auth-secret", "secret", SECRET, Auth.Builder::secret, Auth::secret,
                         "HS256 shared secret, at least 32 bytes. Secret: also from SWITCHBOARD_AUTH_SECRET_FILE."),
            AUTH.setting("auth-public-key-file", "publicKeyFile", PATH, Auth.Builder::publicKeyFile,
                         Auth::publicKeyFile, "PEM public key (RSA for rs256, EC P-256 for es256)."),
            AUTH.setting("auth-jwks-file", "jwksFile", PATH, Auth.Builder::jwksFile, Auth::jwksFile,
                         "JWKS file (RS256/ES256 keys by kid), reloaded when it changes."),
            AUTH.setting("auth-clock-skew", "clockSkew", DURATION, Auth.Builder::clockSkew, Auth::clockSkew,
                         "Tolerance on a token's exp and nbf."),
            AUTH.setting("auth-key-reload-check", "keyReloadCheck", DURATION, Auth.Builder::keyReloadCheck,
                         Auth::keyReloadCheck, "How often the key or JWKS file is checked for changes."),
            AUTH.setting("allowed-origins", "allowedOrigins", ORIGINS, Auth.Builder::allowedOrigins,
                         Auth::allowedOrigins,
                         "Comma-separated browser origins allowed to connect (else 403); empty: any."),
            AUTH.setting("auth-audience", "audience", OPTIONAL, Auth.Builder::audience, Auth::audience,
                         "The aud a token must name (else 401); none: not checked."),
            AUTH.setting("auth-issuer", "issuer", OPTIONAL, Auth.Builder::issuer, Auth::issuer,
                         "The iss a token must carry (else 401); none: not checked."),
            AUTH.setting("auth-max-lifetime", "maxLifetime", OPTIONAL_DURATION, Auth.Builder::maxLifetime,
                         Auth::maxLifetime, "Longest token lifetime accepted, exp - iat (exp - now without iat); "
                         + "none: not checked."),
            API.setting("api-enabled", "enabled", BOOLEAN, Api.Builder::enabled, Api::enabled,
                        "Whether the server-side API listener runs."),
            API.setting("api-host", "host", STRING, Api.Builder::host, Api::host,
                        "Address of the server-side API listener."),
            API.setting("api-port", "port", INT, Api.Builder::port, Api::port,
                        "Port of the server-side API listener (0 picks a free one; -1: port + 1, i.e. 8081)."),
            API.setting("api-key", "apiKey", SECRET, Api.Builder::apiKey, Api::apiKey,
                        "Key backends send as 'Authorization: Bearer KEY'; none: no key required. Secret: also from "
                        + "SWITCHBOARD_API_KEY_FILE."),
            API.setting("api-max-body", "maxBodyBytes", BYTES, Api.Builder::maxBodyBytes, Api::maxBodyBytes,
                        "Largest API request body (else 413)."),
            API.setting("api-allowed-origins", "allowedOrigins", LIST, Api.Builder::allowedOrigins,
                        Api::allowedOrigins, "Comma-separated browser origins whose API requests are served; any "
                        + "other Origin gets 403 (none: every request with an Origin)."),
            API.setting("api-insecure", "insecure", BOOLEAN, Api.Builder::insecure, Api::insecure,
                        "Allow the API on a non-loopback api-host without an api-key (else the start fails)."),
            API.setting("api-tls", "tls", BOOLEAN, Api.Builder::tls, Api::tls,
                        "With tls-cert set, whether the API listener serves TLS too; false keeps it plain, allowed "
                        + "only on a loopback api-host."),
            WEBHOOKS.setting("webhook-urls", "urls", URLS, Webhooks.Builder::urls, Webhooks::urls,
                             "Comma-separated http(s) URLs that receive events; none: webhooks off."),
            WEBHOOKS.setting("webhook-secret", "secret", SECRET, Webhooks.Builder::secret, Webhooks::secret,
                             "HMAC-SHA256 key of X-Switchboard-Signature. Secret: also from "
                             + "SWITCHBOARD_WEBHOOK_SECRET_FILE."),
            WEBHOOKS.setting("webhook-queue-size", "queueSize", INT, Webhooks.Builder::queueSize, Webhooks::queueSize,
                             "Events waiting per URL; past it new events are dropped and counted."),
            WEBHOOKS.setting("webhook-retry-window", "retryWindow", DURATION, Webhooks.Builder::retryWindow,
                             Webhooks::retryWindow,
                             "How long an event is retried (backoff with jitter) before it is dropped."),
            WEBHOOKS.setting("webhook-timeout", "requestTimeout", DURATION, Webhooks.Builder::requestTimeout,
                             Webhooks::requestTimeout, "How long one webhook POST may take."),
            WEBHOOKS.setting("webhook-archive-messages", "archiveMessages", BOOLEAN, Webhooks.Builder::archiveMessages,
                             Webhooks::archiveMessages,
                             "Also send every routed normal message (event message.routed)."),
            CLUSTER.setting("cluster-mode", "mode", CLUSTER_MODE, Cluster.Builder::mode, Cluster::mode,
                            "none: one gateway, in memory; redis: a cluster sharing one Redis (docs/CLUSTER.md)."),
            CLUSTER.setting("redis-url", "redisUrl", STRING, Cluster.Builder::redisUrl, Cluster::redisUrl,
                            "Redis of the cluster (cluster-mode=redis); for redis-topology cluster a comma-separated"
                            + " list of seed nodes, for sentinel redis-sentinel://HOST:PORT,HOST:PORT#MASTER."),
            CLUSTER.setting("redis-topology", "topology", REDIS_TOPOLOGY, Cluster.Builder::topology,
                            Cluster::topology, "standalone: one Redis; cluster: a Redis Cluster (sharded pub/sub);"
                                               + " sentinel: a primary with replicas and Sentinels (docs/CLUSTER.md)."),
            CLUSTER.setting("redis-wait-replicas", "waitReplicas", WAIT_REPLICAS, Cluster.Builder::waitReplicas,
                            Cluster::waitReplicas, "Replicas a held message, an acknowledged delivery or a pairing"
                                                   + " must reach (WAIT) before it is promised. auto: 1 for cluster"
                                                   + " and sentinel, 0 for standalone."),
            CLUSTER.setting("redis-wait-timeout", "waitTimeout", DURATION, Cluster.Builder::waitTimeout,
                            Cluster::waitTimeout, "How long a write waits for its replicas before it is promised"
                                                  + " anyway (counted in switchboard_redis_wait_short_total)."),
            CLUSTER.setting("node-id", "nodeId", OPTIONAL, Cluster.Builder::nodeId, Cluster::nodeId,
                            "This node's id in the cluster (none: hostname plus a random suffix)."),
            CLUSTER.setting("node-heartbeat", "heartbeat", DURATION, Cluster.Builder::heartbeat, Cluster::heartbeat,
                            "How often a cluster node refreshes its liveness and looks for dead nodes."),
            CLUSTER.setting("node-ttl", "nodeTtl", DURATION, Cluster.Builder::nodeTtl, Cluster::nodeTtl,
                            "A cluster node silent this long is dead and its users are released."),
            CLUSTER.setting("redis-key-prefix", "keyPrefix", STRING, Cluster.Builder::keyPrefix, Cluster::keyPrefix,
                            "Prefix of every Redis key and channel of the cluster."),
            CLUSTER.setting("remote-timeout", "remoteTimeout", DURATION, Cluster.Builder::remoteTimeout,
                            Cluster::remoteTimeout, "How long a delivery waits for the node holding the recipient."));
}
