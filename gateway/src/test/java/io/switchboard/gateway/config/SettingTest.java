package io.switchboard.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Writer;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings table: each row writes and reads the component it names, through every source. */
class SettingTest {

    /** A valid configuration in which every setting differs from its default. */
    private static final GatewayConfig CUSTOM = GatewayConfig.builder()
            .host("127.0.0.2").port(9000).ioThreads(3).maxConnections(1234).backlog(77)
            .writeBufferLowBytes(16 * 1024).writeBufferHighBytes(128 * 1024).shutdownTimeout(Duration.ofSeconds(7))
            .frameAncestors("'self' https://shop.example").reservedUserIds(List.of("admin", "root"))
            .path("/chat").maxFrameBytes(128 * 1024).maxMessageChars(999).handshakeTimeout(Duration.ofMillis(1500))
            .idleTimeout(Duration.ofMinutes(2)).pingInterval(Duration.ofSeconds(45)).maxBadMessages(4)
            .agentCapacity(7).reconnectGrace(Duration.ofSeconds(12)).slowConsumerTimeout(Duration.ofMillis(250))
            .queueMax(17).queueTimeout(Duration.ofSeconds(42)).historyMax(9).historyRetention(Duration.ofHours(2))
            .offlineMaxPerUser(11).offlineTtl(Duration.ofHours(1)).offlineMaxTotal(5000)
            .dataDir("/var/lib/sb").dataSync(GatewayConfig.Offline.DataSync.ALWAYS).dedupWindow(Duration.ofMinutes(2))
            .ratePerSecond(5).rateBurst(6).agentRatePerSecond(50).agentRateBurst(60)
            .registryShards(64).registryInitialCapacityPerShard(32)
            .authMode(GatewayConfig.Auth.Mode.HS256).authSecret("0123456789abcdef0123456789abcdef")
            .authPublicKeyFile(Path.of("/etc/k.pem")).authJwksFile(Path.of("/etc/j.json"))
            .authClockSkew(Duration.ofSeconds(3)).authKeyReloadCheck(Duration.ofMinutes(1))
            .authAudience("switchboard").authIssuer("https://idp.example").authMaxLifetime(Duration.ofHours(2))
            .allowedOrigins(List.of("https://a.example", "https://b.example"))
            .apiEnabled(false).apiHost("0.0.0.0").apiPort(9100).apiKey("k3y").apiMaxBodyBytes(2048)
            .apiAllowedOrigins(List.of("https://ops.example")).apiInsecure(true)
            .webhookUrls(List.of(URI.create("http://h/x"), URI.create("https://g/y"))).webhookSecret("wh")
            .webhookQueueSize(9).webhookRetryWindow(Duration.ofSeconds(90)).webhookRequestTimeout(Duration.ofSeconds(4))
            .webhookArchiveMessages(true)
            .clusterMode(GatewayConfig.Cluster.Mode.REDIS).redisUrl("redis-sentinel://r:26380#m").nodeId("n1")
            .nodeHeartbeat(Duration.ofSeconds(1)).nodeTtl(Duration.ofSeconds(5)).redisKeyPrefix("x:")
            .remoteTimeout(Duration.ofSeconds(2)).redisTopology(GatewayConfig.Cluster.Topology.SENTINEL)
            .redisWaitReplicas(2).redisWaitTimeout(Duration.ofSeconds(1))
            .tlsCert(Path.of("/etc/tls/chain.pem")).tlsKey(Path.of("/etc/tls/key.pem"))
            .tlsProvider(GatewayConfig.Tls.Provider.JDK).tlsReloadCheck(Duration.ofSeconds(30)).apiTls(false)
            .build();

    @TempDir
    Path dir;

    @Test
    void theCustomConfigurationChangesEverySetting() {
        // Guards the round trips below: a new setting must be given a value here, or they would not cover it.
        final GatewayConfig defaults = GatewayConfig.builder().build();
        for (Setting s : Setting.ALL) {
            assertNotEquals(s.value().apply(defaults), s.value().apply(CUSTOM), s.key());
        }
    }

    @Test
    void eachSettingReadsTheComponentItNames() throws ReflectiveOperationException {
        for (Setting s : Setting.ALL) {
            final Object section = s.section().get().apply(CUSTOM);
            RecordComponent named = null;
            for (RecordComponent c : section.getClass().getRecordComponents()) {
                named = c.getName().equals(s.component()) ? c : named;
            }
            assertTrue(named != null, s.key() + ": no component " + s.component());
            assertEquals(named.getAccessor().invoke(section), s.value().apply(CUSTOM), s.key());
        }
    }

    @Test
    void everySettingRoundTripsThroughFlags() {
        final List<String> args = new ArrayList<>();
        for (Setting s : Setting.ALL) {
            args.add(s.flag());
            args.add(s.show().apply(CUSTOM));
        }
        assertEquals(CUSTOM, loaded(ConfigLoader.load(args.toArray(String[]::new), Map.of())));
    }

    @Test
    void everySettingRoundTripsThroughTheEnvironment() {
        final Map<String, String> env = new HashMap<>();
        for (Setting s : Setting.ALL) {
            env.put(s.env(), s.show().apply(CUSTOM));
        }
        assertEquals(CUSTOM, loaded(ConfigLoader.load(new String[0], env)));
    }

    @Test
    void everySettingRoundTripsThroughAConfigFile() throws IOException {
        final Properties props = new Properties();
        for (Setting s : Setting.ALL) {
            props.setProperty(s.key(), s.show().apply(CUSTOM));
        }
        final Path file = dir.resolve("all.properties");
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            props.store(w, null);
        }
        assertEquals(CUSTOM, loaded(ConfigLoader.load(new String[] {"--config", file.toString()}, Map.of())));
    }

    @Test
    void sectionsThatShareAComponentNameBlameTheirOwnKey() {
        // mode (auth, cluster), host and port (server, api), secret (auth, webhooks): one name, two sections.
        assertEquals("cluster-mode", ConfigLoader.settingOfField(Setting.CLUSTER, "mode").key());
        assertEquals("auth-mode", ConfigLoader.settingOfField(Setting.AUTH, "authMode").key());
        assertNull(ConfigLoader.settingOfField(Setting.AUTH, "mode"));
        assertEquals("port", ConfigLoader.settingOfField(Setting.SERVER, "port").key());
        assertEquals("api-port", ConfigLoader.settingOfField(Setting.API, "apiPort").key());
        assertEquals("api-port", ConfigLoader.settingOfField(null, "apiPort").key());
        assertEquals("auth-secret", ConfigLoader.settingOfField(Setting.AUTH, "authSecret").key());
        assertEquals("webhook-secret", ConfigLoader.settingOfField(Setting.WEBHOOKS, "webhookSecret").key());

        assertTrue(refusal("--auth-mode", "redis").startsWith("Invalid configuration: auth-mode (flag --auth-mode)"));
        assertTrue(refusal("--cluster-mode", "hs256")
                           .startsWith("Invalid configuration: cluster-mode (flag --cluster-mode)"));
        assertTrue(refusal("--port", "70000").startsWith("Invalid configuration: port '70000'"));
        assertTrue(refusal("--api-port", "70000").startsWith("Invalid configuration: api-port '70000'"));
        assertEquals("Invalid configuration: api-port -1 (default): apiPort: next to port 65535 (expected: an explicit"
                     + " apiPort)", refusal("--port", "65535"));
    }

    @Test
    void checksAcrossFieldsOfAuthAndWebhooksNameTheKeyTooButNeverTheSecret() {
        assertEquals("Invalid configuration: auth-secret (secret) (flag --auth-secret): authSecret: a secret of 7 bytes"
                     + " (expected: >= 32 bytes for hs256)",
                     refusal("--auth-mode", "hs256", "--auth-secret", "hunter2"));
        assertEquals("Invalid configuration: auth-public-key-file none (default): authPublicKeyFile: none (expected: a"
                     + " PEM file for rs256)", refusal("--auth-mode", "rs256"));
        assertEquals("Invalid configuration: webhook-secret none (default): webhookSecret: none (expected: a secret to"
                     + " sign webhooks with)", refusal("--webhook-urls", "http://127.0.0.1:9/x"));
        assertEquals("Invalid configuration: auth-clock-skew '-5s' (flag --auth-clock-skew): authClockSkew: PT-5S"
                     + " (expected: >= 0)", refusal("--auth-clock-skew", "-5s"));
    }

    @Test
    void theRedisUrlMustFitTheTopologyAndThePrefixLeavesHashTagsToTheKeys() {
        assertTrue(refusal("--cluster-mode", "redis", "--redis-topology", "sentinel", "--redis-url",
                           "redis://127.0.0.1:6379").contains("expected: redis-sentinel://HOST:PORT,HOST:PORT#MASTER"));
        assertTrue(refusal("--cluster-mode", "redis", "--redis-url", "redis://a:1,redis://b:2")
                           .contains("for redis-topology standalone"));
        assertTrue(refusal("--cluster-mode", "redis", "--redis-topology", "cluster", "--redis-url",
                           "redis://a:1,b:2").contains("for redis-topology cluster"));
        assertTrue(refusal("--redis-key-prefix", "sb{x}:").contains("no '{' or '}'"));
        assertTrue(refusal("--redis-topology", "mesh").contains("is not a Redis topology"));
        assertTrue(refusal("--redis-wait-replicas", "-2").contains("expected: auto or >= 0"));
        final GatewayConfig.Cluster cluster = GatewayConfig.builder().clusterMode(GatewayConfig.Cluster.Mode.REDIS)
                .redisTopology(GatewayConfig.Cluster.Topology.CLUSTER)
                .redisUrl("redis://127.0.0.1:7000,redis://127.0.0.1:7001").build().cluster();
        assertEquals(1, cluster.replicasToWaitFor(), "auto waits for one replica in a Redis Cluster");
        assertEquals(0, GatewayConfig.builder().build().cluster().replicasToWaitFor(), "none for one Redis");
    }

    @Test
    void sectionBuildersStartFromTheirRecord() {
        assertEquals(CUSTOM, CUSTOM.toBuilder().build());
        assertEquals(CUSTOM.cluster(), CUSTOM.cluster().toBuilder().build());
        assertEquals(CUSTOM, GatewayConfig.builder().server(CUSTOM.server()).webSocket(CUSTOM.webSocket())
                                          .chat(CUSTOM.chat()).offline(CUSTOM.offline()).rateLimit(CUSTOM.rateLimit())
                                          .registry(CUSTOM.registry()).auth(CUSTOM.auth()).api(CUSTOM.api())
                                          .webhooks(CUSTOM.webhooks()).cluster(CUSTOM.cluster()).tls(CUSTOM.tls())
                                          .build());
        assertEquals(CUSTOM.tls(), CUSTOM.tls().toBuilder().build());
        assertEquals(GatewayConfig.builder().build().rateLimit(), GatewayConfig.RateLimit.builder().build());
        assertEquals(3, GatewayConfig.builder().rateLimit(GatewayConfig.RateLimit.builder().agentBurst(3).build())
                                     .build().rateLimit().agentBurst());
    }

    private static GatewayConfig loaded(ConfigLoader.Result r) {
        assertTrue(r.shouldStart(), r::output);
        return r.config();
    }

    private static String refusal(String... args) {
        final ConfigLoader.Result r = ConfigLoader.load(args, Map.of());
        assertEquals(2, r.exitCode(), r::output);
        return r.output();
    }
}
