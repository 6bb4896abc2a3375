package io.switchboard.gateway.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiConsumer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The one place that reads configuration. Sources, in increasing priority: built-in defaults, a properties file
 * ({@code --config FILE}, keys as below), {@code SWITCHBOARD_*} environment variables, command-line flags.
 *
 * <p>Every setting has one key; its flag is {@code --key} and its variable {@code SWITCHBOARD_KEY} (upper case,
 * {@code -} as {@code _}): {@code idle-timeout} is {@code --idle-timeout} and {@code SWITCHBOARD_IDLE_TIMEOUT}.
 * Durations take a unit ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, or ISO-8601 {@code PT30S}); sizes
 * in bytes accept {@code KiB}/{@code MiB}.
 */
public final class ConfigLoader {

    /** The prefix of every environment variable that configures the gateway. */
    public static final String ENV_PREFIX = "SWITCHBOARD_";

    private static final GatewayConfig DEFAULTS = GatewayConfig.builder().build();

    /** One setting: its key, what it means, its default shown in {@code --help}, and how it is applied. */
    record Setting(String key, String description, String defaultValue,
                   BiConsumer<GatewayConfig.Builder, String> apply) {
        String flag() {
            return "--" + key;
        }

        String env() {
            return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
        }
    }

    static final List<Setting> SETTINGS = List.of(
            new Setting("host", "Address to listen on.", DEFAULTS.server().host(), (b, v) -> b.host(v)),
            new Setting("port", "WebSocket and HTTP port (0 picks a free one).",
                        str(DEFAULTS.server().port()), (b, v) -> b.port(parseInt(v))),
            new Setting("io-threads", "Event-loop threads (0: one per available core).",
                        str(DEFAULTS.server().ioThreads()), (b, v) -> b.ioThreads(parseInt(v))),
            new Setting("max-connections", "Connections accepted at once; more are closed at accept.",
                        str(DEFAULTS.server().maxConnections()), (b, v) -> b.maxConnections(parseInt(v))),
            new Setting("backlog", "Listen backlog (also bounded by net.core.somaxconn).",
                        str(DEFAULTS.server().backlog()), (b, v) -> b.backlog(parseInt(v))),
            new Setting("write-buffer-low", "Per-connection write buffer low water mark.",
                        bytes(DEFAULTS.server().writeBufferLowBytes()), (b, v) -> b.writeBufferLowBytes(parseBytes(v))),
            new Setting("write-buffer-high", "Per-connection write buffer high water mark: above it a peer is slow.",
                        bytes(DEFAULTS.server().writeBufferHighBytes()),
                        (b, v) -> b.writeBufferHighBytes(parseBytes(v))),
            new Setting("shutdown-timeout", "How long a graceful shutdown waits for connections to close.",
                        dur(DEFAULTS.server().shutdownTimeout()), (b, v) -> b.shutdownTimeout(parseDuration(v))),
            new Setting("path", "WebSocket path prefix; clients connect to PATH/{userId}.",
                        DEFAULTS.webSocket().path(), (b, v) -> b.path(v)),
            new Setting("max-frame-bytes", "Largest message, after reassembling fragments (else close 1009).",
                        bytes(DEFAULTS.webSocket().maxFrameBytes()), (b, v) -> b.maxFrameBytes(parseBytes(v))),
            new Setting("max-message-chars", "Longest msg of a normal message (else MSG_TOO_LONG).",
                        str(DEFAULTS.webSocket().maxMessageChars()), (b, v) -> b.maxMessageChars(parseInt(v))),
            new Setting("handshake-timeout", "Time from TCP accept to a completed WebSocket upgrade.",
                        dur(DEFAULTS.webSocket().handshakeTimeout()), (b, v) -> b.handshakeTimeout(parseDuration(v))),
            new Setting("idle-timeout", "Close a connection silent this long (close 1001).",
                        dur(DEFAULTS.webSocket().idleTimeout()), (b, v) -> b.idleTimeout(parseDuration(v))),
            new Setting("ping-interval", "Send a WebSocket ping after this long without writing.",
                        dur(DEFAULTS.webSocket().pingInterval()), (b, v) -> b.pingInterval(parseDuration(v))),
            new Setting("max-bad-messages", "Consecutive malformed messages before close 1008.",
                        str(DEFAULTS.webSocket().maxBadMessages()), (b, v) -> b.maxBadMessages(parseInt(v))),
            new Setting("agent-capacity", "Users one agent serves at once.",
                        str(DEFAULTS.chat().agentCapacity()), (b, v) -> b.agentCapacity(parseInt(v))),
            new Setting("reconnect-grace", "How long a disconnected peer keeps its pairing.",
                        dur(DEFAULTS.chat().reconnectGrace()), (b, v) -> b.reconnectGrace(parseDuration(v))),
            new Setting("slow-consumer-timeout", "How long a peer may stay unwritable before close 1013.",
                        dur(DEFAULTS.chat().slowConsumerTimeout()),
                        (b, v) -> b.slowConsumerTimeout(parseDuration(v))),
            new Setting("offline-max-per-user", "Messages held for one offline user; past it the oldest are dropped.",
                        str(DEFAULTS.offline().maxPerUser()), (b, v) -> b.offlineMaxPerUser(parseInt(v))),
            new Setting("offline-ttl", "How long a held message waits for its recipient.",
                        dur(DEFAULTS.offline().ttl()), (b, v) -> b.offlineTtl(parseDuration(v))),
            new Setting("offline-max-total", "Messages held for all users together.",
                        str(DEFAULTS.offline().maxTotal()), (b, v) -> b.offlineMaxTotal(parseInt(v))),
            new Setting("rate-limit", "Messages per second one connection may send (token refill rate).",
                        str(DEFAULTS.rateLimit().perSecond()), (b, v) -> b.ratePerSecond(parseInt(v))),
            new Setting("rate-burst", "Token bucket size: messages one connection may send at once.",
                        str(DEFAULTS.rateLimit().burst()), (b, v) -> b.rateBurst(parseInt(v))),
            new Setting("agent-rate-limit", "Messages per second one agent connection may send.",
                        str(DEFAULTS.rateLimit().agentPerSecond()), (b, v) -> b.agentRatePerSecond(parseInt(v))),
            new Setting("agent-rate-burst", "Token bucket size of an agent connection.",
                        str(DEFAULTS.rateLimit().agentBurst()), (b, v) -> b.agentRateBurst(parseInt(v))),
            new Setting("registry-shards", "Session registry shards (a power of two).",
                        str(DEFAULTS.registry().shards()), (b, v) -> b.registryShards(parseInt(v))),
            new Setting("registry-capacity", "Initial capacity of each registry shard.",
                        str(DEFAULTS.registry().initialCapacityPerShard()),
                        (b, v) -> b.registryInitialCapacityPerShard(parseInt(v))),
            new Setting("auth-mode", "Handshake authentication: off, hs256, rs256, es256 or jwks (PROTOCOL.md §1).",
                        "off", (b, v) -> b.authMode(GatewayConfig.Auth.Mode.parse(v))),
            new Setting("auth-secret", "HS256 shared secret, at least 32 bytes. Secret: also from "
                        + "SWITCHBOARD_AUTH_SECRET_FILE.", "none", (b, v) -> b.authSecret(noneAsEmpty(v))),
            new Setting("auth-public-key-file", "PEM public key (RSA for rs256, EC P-256 for es256).",
                        "none", (b, v) -> b.authPublicKeyFile(parsePath(v))),
            new Setting("auth-jwks-file", "JWKS file (RS256/ES256 keys by kid), reloaded when it changes.",
                        "none", (b, v) -> b.authJwksFile(parsePath(v))),
            new Setting("auth-clock-skew", "Tolerance on a token's exp and nbf.",
                        dur(DEFAULTS.auth().clockSkew()), (b, v) -> b.authClockSkew(parseDuration(v))),
            new Setting("auth-key-reload-check", "How often the key or JWKS file is checked for changes.",
                        dur(DEFAULTS.auth().keyReloadCheck()), (b, v) -> b.authKeyReloadCheck(parseDuration(v))),
            new Setting("allowed-origins", "Comma-separated browser origins allowed to connect (else 403); empty: any.",
                        "any", (b, v) -> b.allowedOrigins(parseList(v))),
            new Setting("api-enabled", "Whether the server-side API listener runs.",
                        Boolean.toString(DEFAULTS.api().enabled()), (b, v) -> b.apiEnabled(parseBoolean(v))),
            new Setting("api-host", "Address of the server-side API listener.",
                        DEFAULTS.api().host(), (b, v) -> b.apiHost(v)),
            new Setting("api-port", "Port of the server-side API listener (0 picks a free one; -1: port + 1, i.e. 8081).",
                        "-1", (b, v) -> b.apiPort(parseInt(v))),
            new Setting("api-key", "Key backends send as 'Authorization: Bearer KEY'; none: no key required. Secret: "
                        + "also from SWITCHBOARD_API_KEY_FILE.", "none", (b, v) -> b.apiKey(noneAsEmpty(v))),
            new Setting("api-max-body", "Largest API request body (else 413).",
                        bytes(DEFAULTS.api().maxBodyBytes()), (b, v) -> b.apiMaxBodyBytes(parseBytes(v))),
            new Setting("webhook-urls", "Comma-separated http(s) URLs that receive events; none: webhooks off.",
                        "none", (b, v) -> b.webhookUrls(parseUris(v))),
            new Setting("webhook-secret", "HMAC-SHA256 key of X-Switchboard-Signature. Secret: also from "
                        + "SWITCHBOARD_WEBHOOK_SECRET_FILE.", "none", (b, v) -> b.webhookSecret(noneAsEmpty(v))),
            new Setting("webhook-queue-size", "Events waiting per URL; past it new events are dropped and counted.",
                        str(DEFAULTS.webhooks().queueSize()), (b, v) -> b.webhookQueueSize(parseInt(v))),
            new Setting("webhook-retry-window", "How long an event is retried (backoff with jitter) before it is dropped.",
                        dur(DEFAULTS.webhooks().retryWindow()), (b, v) -> b.webhookRetryWindow(parseDuration(v))),
            new Setting("webhook-timeout", "How long one webhook POST may take.",
                        dur(DEFAULTS.webhooks().requestTimeout()), (b, v) -> b.webhookRequestTimeout(parseDuration(v))),
            new Setting("webhook-archive-messages", "Also send every routed normal message (event message.routed).",
                        Boolean.toString(DEFAULTS.webhooks().archiveMessages()),
                        (b, v) -> b.webhookArchiveMessages(parseBoolean(v))),
            new Setting("cluster-mode", "none: one gateway, in memory; redis: a cluster sharing one Redis"
                                        + " (docs/CLUSTER.md).",
                        DEFAULTS.cluster().mode().name().toLowerCase(Locale.ROOT), (b, v) -> b.clusterMode(parseMode(v))),
            new Setting("redis-url", "Redis of the cluster (cluster-mode=redis).", DEFAULTS.cluster().redisUrl(),
                        (b, v) -> b.redisUrl(v)),
            new Setting("node-id", "This node's id in the cluster (none: hostname plus a random suffix).",
                        "none", (b, v) -> b.nodeId(noneAsEmpty(v))),
            new Setting("node-heartbeat", "How often a cluster node refreshes its liveness and looks for dead nodes.",
                        dur(DEFAULTS.cluster().heartbeat()), (b, v) -> b.nodeHeartbeat(parseDuration(v))),
            new Setting("node-ttl", "A cluster node silent this long is dead and its users are released.",
                        dur(DEFAULTS.cluster().nodeTtl()), (b, v) -> b.nodeTtl(parseDuration(v))),
            new Setting("redis-key-prefix", "Prefix of every Redis key and channel of the cluster.",
                        DEFAULTS.cluster().keyPrefix(), (b, v) -> b.redisKeyPrefix(v)),
            new Setting("remote-timeout", "How long a delivery waits for the node holding the recipient.",
                        dur(DEFAULTS.cluster().remoteTimeout()), (b, v) -> b.remoteTimeout(parseDuration(v))));

    /** Settings whose value is a secret: never echoed in errors, and also read from a file named by {@code ENV_FILE}. */
    static final java.util.Set<String> SECRET_KEYS = java.util.Set.of("auth-secret", "api-key", "webhook-secret");

    /** The outcome of reading the command line: a configuration, or text to print and an exit code. */
    public record Result(GatewayConfig config, String output, int exitCode) {
        /** Whether the gateway should start. */
        public boolean shouldStart() {
            return config != null;
        }
    }

    private ConfigLoader() {}

    /**
     * Builds the configuration from the command line and the environment.
     *
     * @param args the command-line arguments
     * @param env  the environment, normally {@code System.getenv()}
     * @return the configuration, or the help text / error message with its exit code (0 for {@code --help}, 2 for
     *         invalid settings)
     */
    public static Result load(String[] args, Map<String, String> env) {
        final CommandSpec spec = commandSpec();
        final CommandLine cli = new CommandLine(spec);
        final ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return new Result(null, e.getMessage() + System.lineSeparator() + "See --help.", 2);
        }
        if (parsed.isUsageHelpRequested()) {
            return new Result(null, usage(cli), 0);
        }
        try {
            final GatewayConfig.Builder builder = GatewayConfig.builder();
            final Map<String, String> given = new HashMap<>();
            if (parsed.hasMatchedOption("--config")) {
                final Path file = Path.of(parsed.<String>matchedOptionValue("--config", null));
                applyProperties(builder, readProperties(file), "config file " + file, given);
            }
            for (Setting s : SETTINGS) {
                final String value = env.get(s.env());
                if (value != null) {
                    apply(builder, s, value, "environment variable " + s.env(), given);
                }
                // Docker/Kubernetes secrets arrive as files: SWITCHBOARD_API_KEY_FILE=/run/secrets/api-key.
                final String file = SECRET_KEYS.contains(s.key()) ? env.get(s.env() + "_FILE") : null;
                if (file != null) {
                    apply(builder, s, readSecret(Path.of(file), s.env() + "_FILE"), "file " + file, given);
                }
            }
            for (Setting s : SETTINGS) {
                if (parsed.hasMatchedOption(s.flag())) {
                    apply(builder, s, parsed.matchedOptionValue(s.flag(), null), "flag " + s.flag(), given);
                }
            }
            return new Result(build(builder, given), null, 0);
        } catch (IllegalArgumentException e) {
            return new Result(null, "Invalid configuration: " + e.getMessage(), 2);
        }
    }

    /** Applies properties file entries; an unknown key is an error so that typos do not pass silently. */
    static void applyProperties(GatewayConfig.Builder builder, Properties props, String source,
                                Map<String, String> given) {
        final List<String> keys = new ArrayList<>(props.stringPropertyNames());
        Collections.sort(keys);
        for (String key : keys) {
            final Setting s = SETTINGS.stream().filter(x -> x.key().equals(key)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(
                            source + ": unknown setting '" + key + "' (see --help for the keys)"));
            apply(builder, s, props.getProperty(key).trim(), source, given);
        }
    }

    private static void apply(GatewayConfig.Builder builder, Setting s, String value, String source,
                              Map<String, String> given) {
        final String shown = SECRET_KEYS.contains(s.key()) ? "(secret)" : "'" + value + "'";
        try {
            s.apply().accept(builder, value);
            given.put(s.key(), shown + " (" + source + ')');
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new IllegalArgumentException(s.key() + " (" + source + "): " + shown + ' ' + e.getMessage(), e);
        }
    }

    /**
     * Builds the configuration. {@link GatewayConfig} validates its records by field name ({@code shards: 3}); the
     * message is prefixed with the setting's key and the value and source it came from, so that it names what the
     * operator wrote ({@code registry-shards '3' (flag --registry-shards): shards: 3 (expected: ...)}).
     */
    private static GatewayConfig build(GatewayConfig.Builder builder, Map<String, String> given) {
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            final String message = String.valueOf(e.getMessage());
            final int colon = message.indexOf(':');
            final String key = colon < 0 ? null : KEY_OF_FIELD.get(message.substring(0, colon));
            if (key == null) {
                throw e;
            }
            final String value = given.getOrDefault(key, setting(key).defaultValue() + " (default)");
            throw new IllegalArgumentException(key + " " + value + ": " + message, e);
        }
    }

    /** The setting key of each field {@link GatewayConfig} names in its validation messages. */
    static final Map<String, String> KEY_OF_FIELD = Map.ofEntries(
            Map.entry("host", "host"), Map.entry("port", "port"), Map.entry("ioThreads", "io-threads"),
            Map.entry("maxConnections", "max-connections"), Map.entry("backlog", "backlog"),
            Map.entry("writeBufferLowBytes", "write-buffer-low"), Map.entry("writeBufferHighBytes", "write-buffer-high"),
            Map.entry("shutdownTimeout", "shutdown-timeout"), Map.entry("path", "path"),
            Map.entry("maxFrameBytes", "max-frame-bytes"), Map.entry("maxMessageChars", "max-message-chars"),
            Map.entry("handshakeTimeout", "handshake-timeout"), Map.entry("idleTimeout", "idle-timeout"),
            Map.entry("pingInterval", "ping-interval"), Map.entry("maxBadMessages", "max-bad-messages"),
            Map.entry("agentCapacity", "agent-capacity"), Map.entry("reconnectGrace", "reconnect-grace"),
            Map.entry("slowConsumerTimeout", "slow-consumer-timeout"), Map.entry("maxPerUser", "offline-max-per-user"),
            Map.entry("ttl", "offline-ttl"), Map.entry("maxTotal", "offline-max-total"),
            Map.entry("perSecond", "rate-limit"), Map.entry("burst", "rate-burst"),
            Map.entry("agentPerSecond", "agent-rate-limit"), Map.entry("agentBurst", "agent-rate-burst"),
            Map.entry("mode", "auth-mode"), Map.entry("authKeyReloadCheck", "auth-key-reload-check"),
            Map.entry("allowedOrigins", "allowed-origins"), Map.entry("apiHost", "api-host"),
            Map.entry("apiPort", "api-port"), Map.entry("apiMaxBodyBytes", "api-max-body"),
            Map.entry("webhookUrls", "webhook-urls"), Map.entry("webhookQueueSize", "webhook-queue-size"),
            Map.entry("webhookRetryWindow", "webhook-retry-window"), Map.entry("webhookRequestTimeout", "webhook-timeout"),
            Map.entry("shards", "registry-shards"), Map.entry("initialCapacityPerShard", "registry-capacity"),
            Map.entry("redisUrl", "redis-url"), Map.entry("nodeId", "node-id"),
            Map.entry("heartbeat", "node-heartbeat"), Map.entry("nodeTtl", "node-ttl"),
            Map.entry("keyPrefix", "redis-key-prefix"), Map.entry("remoteTimeout", "remote-timeout"));

    private static Properties readProperties(Path file) {
        final Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("config file " + file + ": cannot read it (" + e + ')', e);
        }
        return props;
    }

    private static CommandSpec commandSpec() {
        final CommandSpec spec = CommandSpec.create();
        spec.name("switchboard-gateway");
        spec.usageMessage().description(
                "Switchboard: a WebSocket chat gateway. Clients connect to ws://HOST:PORT/pinter/imserver/{userId}.",
                "Settings, in increasing priority: defaults, --config FILE (properties, keys as below),",
                "SWITCHBOARD_* environment variables (e.g. SWITCHBOARD_IDLE_TIMEOUT), flags.");
        spec.mixinStandardHelpOptions(false);
        spec.usageMessage().sortOptions(false);
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help and exit.")
                                 .build());
        spec.addOption(OptionSpec.builder("--config").paramLabel("FILE").type(String.class)
                                 .description("A properties file of settings (key=value).").build());
        for (Setting s : SETTINGS) {
            spec.addOption(OptionSpec.builder(s.flag()).paramLabel("VALUE").type(String.class)
                                     .description(s.description() + " Default: " + s.defaultValue() + ". Env: "
                                                  + s.env() + '.')
                                     .build());
        }
        return spec;
    }

    private static String usage(CommandLine cli) {
        final StringWriter out = new StringWriter();
        cli.setUsageHelpWidth(120);
        cli.usage(new PrintWriter(out));
        return out.toString();
    }

    private static String readSecret(Path file, String variable) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException(variable + ": cannot read " + file + " (" + e + ')', e);
        }
    }

    static boolean parseBoolean(String v) {
        final String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("yes") || s.equals("on")) {
            return true;
        }
        if (s.equals("false") || s.equals("no") || s.equals("off")) {
            return false;
        }
        throw new IllegalArgumentException("is not true or false");
    }

    static List<String> parseList(String v) {
        final List<String> out = new ArrayList<>();
        // "none" and "any" are how --help shows an empty list.
        if ("none".equalsIgnoreCase(v.trim()) || "any".equalsIgnoreCase(v.trim())) {
            return out;
        }
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    static List<java.net.URI> parseUris(String v) {
        final List<java.net.URI> out = new ArrayList<>();
        for (String part : parseList(v)) {
            try {
                out.add(new java.net.URI(part));
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("is not a list of URLs (" + e.getMessage() + ')');
            }
        }
        return out;
    }

    static Path parsePath(String v) {
        return v.isBlank() || "none".equalsIgnoreCase(v.trim()) ? null : Path.of(v.trim());
    }

    /** {@code none}, the shown default of an unset secret, reads back as unset. */
    static String noneAsEmpty(String v) {
        return "none".equalsIgnoreCase(v.trim()) ? "" : v;
    }

    static int parseInt(String v) {
        try {
            return Integer.parseInt(v.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a whole number");
        }
    }

    static int parseBytes(String v) {
        final String s = v.trim();
        final String lower = s.toLowerCase(Locale.ROOT);
        long factor = 1;
        String digits = s;
        if (lower.endsWith("kib") || lower.endsWith("k")) {
            factor = 1024;
            digits = s.substring(0, s.length() - (lower.endsWith("kib") ? 3 : 1));
        } else if (lower.endsWith("mib") || lower.endsWith("m")) {
            factor = 1024 * 1024;
            digits = s.substring(0, s.length() - (lower.endsWith("mib") ? 3 : 1));
        }
        final long n;
        try {
            n = Long.parseLong(digits.trim()) * factor;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a size (e.g. 65536, 64KiB, 1MiB)");
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("is too large");
        }
        return (int) n;
    }

    static Duration parseDuration(String v) {
        final String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("p")) {
            return Duration.parse(s.toUpperCase(Locale.ROOT));
        }
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
            }
            final long n = Long.parseLong(s.substring(0, s.length() - 1).trim());
            switch (s.charAt(s.length() - 1)) {
                case 's': return Duration.ofSeconds(n);
                case 'm': return Duration.ofMinutes(n);
                case 'h': return Duration.ofHours(n);
                default: break;
            }
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("is not a duration (e.g. 500ms, 30s, 5m, 1h, PT30S)");
    }

    static GatewayConfig.Cluster.Mode parseMode(String v) {
        try {
            return GatewayConfig.Cluster.Mode.valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a cluster mode (none, redis)");
        }
    }

    private static String str(int v) {
        return Integer.toString(v);
    }

    private static String bytes(int v) {
        return v % 1024 == 0 ? (v / 1024) + "KiB" : Integer.toString(v);
    }

    private static String dur(Duration d) {
        if (d.toMillis() % 60_000 == 0 && d.toMinutes() > 0) {
            return d.toMinutes() + "m";
        }
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** For tests and tools: the keys of every setting, in {@code --help} order. */
    static List<String> keys() {
        final List<String> keys = new ArrayList<>();
        for (Setting s : SETTINGS) {
            keys.add(s.key());
        }
        return keys;
    }

    static Setting setting(String key) {
        requireNonNull(key, "key");
        return SETTINGS.stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow();
    }
}
