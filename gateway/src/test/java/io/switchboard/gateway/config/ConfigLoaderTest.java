package io.switchboard.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private static ConfigLoader.Result load(Map<String, String> env, String... args) {
        return ConfigLoader.load(args, env);
    }

    private static GatewayConfig ok(Map<String, String> env, String... args) {
        final ConfigLoader.Result r = load(env, args);
        assertTrue(r.shouldStart(), () -> "expected a configuration, got: " + r.output());
        assertEquals(0, r.exitCode());
        return r.config();
    }

    /** Loads an invalid configuration and returns the message, which must name every one of {@code mentions}. */
    private static String invalid(Map<String, String> env, List<String> mentions, String... args) {
        final ConfigLoader.Result r = load(env, args);
        assertFalse(r.shouldStart(), "expected a refusal");
        assertNull(r.config());
        assertEquals(2, r.exitCode());
        assertNotNull(r.output());
        for (String m : mentions) {
            assertTrue(r.output().contains(m), () -> "'" + m + "' missing from: " + r.output());
        }
        return r.output();
    }

    private Path file(String... lines) throws IOException {
        final Path f = dir.resolve("switchboard.properties");
        Files.write(f, List.of(lines), StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void defaults() {
        final GatewayConfig c = ok(Map.of());
        assertEquals(GatewayConfig.builder().build(), c);
        assertEquals("0.0.0.0", c.server().host());
        assertEquals(8080, c.server().port());
        assertEquals("/pinter/imserver", c.webSocket().path());
        assertEquals(64 * 1024, c.webSocket().maxFrameBytes());
        assertEquals(4096, c.webSocket().maxMessageChars());
        assertEquals(50, c.chat().agentCapacity());
        assertEquals(Duration.ofSeconds(30), c.chat().reconnectGrace());
        assertEquals(100, c.rateLimit().perSecond());
        assertEquals(200, c.rateLimit().burst());
        assertTrue(c.webSocket().pingInterval().compareTo(c.webSocket().idleTimeout()) < 0);
        assertEquals(1, Integer.bitCount(c.registry().shards()));
    }

    @Test
    void environmentVariablesOutsideTheSwitchboardPrefixAreIgnored() {
        assertEquals(GatewayConfig.builder().build(),
                     ok(Map.of("PORT", "1", "HOME", "/root", "switchboard_port", "2")));
    }

    @Test
    void precedenceIsFileThenEnvironmentThenFlags() throws IOException {
        final Path f = file("# a comment", "port = 1000", "agent-capacity=5", "rate-burst=9", "offline-ttl=1m");
        final Map<String, String> env = Map.of("SWITCHBOARD_PORT", "2000", "SWITCHBOARD_AGENT_CAPACITY", "6");
        final GatewayConfig c = ok(env, "--config", f.toString(), "--port", "3000");
        assertEquals(3000, c.server().port(), "flag beats environment and file");
        assertEquals(6, c.chat().agentCapacity(), "environment beats file");
        assertEquals(9, c.rateLimit().burst(), "file beats default");
        assertEquals(Duration.ofMinutes(1), c.offline().ttl());

        assertEquals(2000, ok(env, "--config", f.toString()).server().port());
        assertEquals(1000, ok(Map.of(), "--config", f.toString()).server().port());
        assertEquals(3000, ok(Map.of(), "--port=3000").server().port(), "--key=value works too");
    }

    @Test
    void helpListsEverySettingWithItsDefaultAndVariable() {
        final ConfigLoader.Result r = load(Map.of(), "--help");
        assertFalse(r.shouldStart());
        assertEquals(0, r.exitCode());
        final String help = r.output().replaceAll("\\s+", " ");
        final List<String> keys = ConfigLoader.keys();
        assertEquals(keys.size(), new HashSet<>(keys).size(), "keys are unique");
        for (String key : keys) {
            final String env = "SWITCHBOARD_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
            final String dflt = ConfigLoader.setting(key).defaultValue();
            assertTrue(help.contains("--" + key + "=VALUE"), key);
            assertTrue(help.contains("Default: " + dflt + ". Env: " + env + "."), () -> key + " in: " + help);
        }
        assertTrue(help.contains("--config=FILE"));
        // A few defaults spelled out, independently of the loader's own table.
        assertTrue(help.contains("Default: 8080. Env: SWITCHBOARD_PORT."));
        assertTrue(help.contains("Default: 64KiB. Env: SWITCHBOARD_MAX_FRAME_BYTES."));
        assertTrue(help.contains("Default: 1m. Env: SWITCHBOARD_IDLE_TIMEOUT."));
        assertTrue(help.contains("Default: 30s. Env: SWITCHBOARD_RECONNECT_GRACE."));
        assertTrue(help.contains("Default: /pinter/imserver. Env: SWITCHBOARD_PATH."));
        assertEquals(0, load(Map.of(), "-h").exitCode());
    }

    @Test
    void everyDefaultShownInHelpReadsBackAsTheDefault() {
        final GatewayConfig defaults = GatewayConfig.builder().build();
        for (String key : ConfigLoader.keys()) {
            assertEquals(defaults, ok(Map.of(), "--" + key, ConfigLoader.setting(key).defaultValue()), key);
        }
    }

    @Test
    void portOutOfRangeNamesTheSettingAndTheValue() {
        invalid(Map.of(), List.of("port", "70000", "--port"), "--port", "70000");
        invalid(Map.of("SWITCHBOARD_PORT", "70000"), List.of("port", "70000", "SWITCHBOARD_PORT"));
        invalid(Map.of(), List.of("port", "'eighty'", "whole number"), "--port", "eighty");
    }

    @Test
    void badDurationNamesTheSettingAndTheValue() {
        invalid(Map.of(), List.of("idle-timeout", "'5x'", "--idle-timeout"), "--idle-timeout", "5x");
        invalid(Map.of(), List.of("offline-ttl", "'ten minutes'"), "--offline-ttl", "ten minutes");
        invalid(Map.of(), List.of("reconnect-grace", "'PT'"), "--reconnect-grace", "PT");
        invalid(Map.of(), List.of("handshake-timeout", "'ms'"), "--handshake-timeout", "ms");
        invalid(Map.of(), List.of("handshake-timeout", "''"), "--handshake-timeout", "");
        invalid(Map.of(), List.of("handshake-timeout"), "--handshake-timeout", "0s");
    }

    @Test
    void shardsMustBeAPowerOfTwo() {
        invalid(Map.of(), List.of("registry-shards", "3", "--registry-shards", "power of two"),
                "--registry-shards", "3");
        invalid(Map.of("SWITCHBOARD_REGISTRY_SHARDS", "3"),
                List.of("registry-shards", "'3'", "SWITCHBOARD_REGISTRY_SHARDS"));
        assertEquals(64, ok(Map.of(), "--registry-shards", "64").registry().shards());
    }

    @Test
    void pingIntervalMustBeShorterThanTheIdleTimeout() {
        invalid(Map.of(), List.of("ping-interval", "'60s'", "idleTimeout"),
                "--ping-interval", "60s", "--idle-timeout", "30s");
        invalid(Map.of(), List.of("ping-interval", "'30s'"), "--ping-interval", "30s", "--idle-timeout", "30s");
        // Only the idle timeout was given, and it is below the default ping interval: the message names the
        // conflicting setting and its (default) value.
        invalid(Map.of(), List.of("ping-interval", "20s (default)", "PT10S"), "--idle-timeout", "10s");
    }

    @Test
    void otherRecordChecksNameTheSettingToo() {
        invalid(Map.of(), List.of("offline-max-per-user", "'0'"), "--offline-max-per-user", "0");
        invalid(Map.of(), List.of("write-buffer-high", "'1KiB'"), "--write-buffer-high", "1KiB");
        invalid(Map.of(), List.of("path", "'/chat/'"), "--path", "/chat/");
        invalid(Map.of(), List.of("max-frame-bytes", "'10'"), "--max-frame-bytes", "10");
        invalid(Map.of(), List.of("rate-limit", "'-1'"), "--rate-limit", "-1");
        invalid(Map.of("SWITCHBOARD_AGENT_RATE_BURST", "0"),
                List.of("agent-rate-burst", "'0'", "SWITCHBOARD_AGENT_RATE_BURST"));
    }

    @Test
    void tlsNeedsBothFilesAndKeepsAPlainApiOnLoopbackOnly() {
        invalid(Map.of(), List.of("tls-key", "none (default)", "/etc/sb/cert.pem"), "--tls-cert", "/etc/sb/cert.pem");
        invalid(Map.of(), List.of("tls-cert", "none (default)", "/etc/sb/key.pem"), "--tls-key", "/etc/sb/key.pem");
        invalid(Map.of(), List.of("tls-provider", "'boring'", "auto, openssl, jdk"), "--tls-provider", "boring");
        // A plain API next to TLS: only where nobody else can listen in.
        invalid(Map.of(), List.of("api-tls", "'false'", "0.0.0.0", "loopback"), "--tls-cert", "c.pem", "--tls-key",
                "k.pem", "--api-tls", "false", "--api-host", "0.0.0.0", "--api-key", "k");
        final GatewayConfig loopback = ok(Map.of(), "--tls-cert", "c.pem", "--tls-key", "k.pem", "--api-tls", "false");
        assertTrue(loopback.tls().enabled());
        assertFalse(loopback.apiUsesTls());
        assertTrue(ok(Map.of(), "--tls-cert", "c.pem", "--tls-key", "k.pem", "--api-host", "0.0.0.0", "--api-key", "k")
                           .apiUsesTls());
        // Without TLS the toggle changes nothing.
        assertFalse(ok(Map.of(), "--api-tls", "false", "--api-host", "0.0.0.0", "--api-key", "k").apiUsesTls());
    }

    @Test
    void everyValidatedFieldMapsToASetting() {
        // Every component of every section is set by exactly one setting; the sections name their fields in
        // messages (auth, api and webhooks with a prefix: apiPort), and each such name leads back to its key.
        final GatewayConfig defaults = GatewayConfig.builder().build();
        for (Setting.Section<?, ?> section : Setting.SECTIONS) {
            final Set<String> fields = new HashSet<>();
            for (RecordComponent inner : section.get().apply(defaults).getClass().getRecordComponents()) {
                fields.add(inner.getName());
            }
            final List<String> named = Setting.ALL.stream().filter(s -> s.section() == section)
                                                  .map(Setting::component).toList();
            assertEquals(fields, new HashSet<>(named));
            assertEquals(fields.size(), named.size(), "one setting per component");
        }
        for (Setting s : Setting.ALL) {
            assertEquals(s, ConfigLoader.settingOfField(s.section(), s.fieldName()), s.key());
        }
        assertEquals(Setting.SECTIONS.size(), GatewayConfig.class.getRecordComponents().length);
    }

    @Test
    void anUnknownKeyInTheConfigFileIsAnError() throws IOException {
        final Path f = file("port=9000", "idle-timeuot=30s");
        invalid(Map.of(), List.of("idle-timeuot", "unknown setting", f.toString()), "--config", f.toString());
    }

    @Test
    void aBadValueInTheConfigFileNamesTheFile() throws IOException {
        final Path f = file("max-frame-bytes=lots");
        invalid(Map.of(), List.of("max-frame-bytes", "'lots'", "config file " + f), "--config", f.toString());
    }

    @Test
    void aMissingConfigFileIsAnError() {
        final String missing = dir.resolve("nope.properties").toString();
        invalid(Map.of(), List.of(missing, "cannot read"), "--config", missing);
    }

    @Test
    void unknownFlagsAndMissingValuesAreErrors() {
        invalid(Map.of(), List.of("--prot"), "--prot", "80");
        invalid(Map.of(), List.of("--port"), "--port");
    }

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), ConfigLoader.parseDuration("500ms"));
        assertEquals(Duration.ofSeconds(30), ConfigLoader.parseDuration("30s"));
        assertEquals(Duration.ofMinutes(5), ConfigLoader.parseDuration("5m"));
        assertEquals(Duration.ofHours(1), ConfigLoader.parseDuration("1h"));
        assertEquals(Duration.ofSeconds(1), ConfigLoader.parseDuration("PT1S"));
        assertEquals(Duration.ofSeconds(1), ConfigLoader.parseDuration("pt1s"));
        assertEquals(Duration.ofSeconds(30), ConfigLoader.parseDuration(" 30S "));
        assertThrows(IllegalArgumentException.class, () -> ConfigLoader.parseDuration("30"));
        assertThrows(IllegalArgumentException.class, () -> ConfigLoader.parseDuration("5x"));
        assertThrows(IllegalArgumentException.class, () -> ConfigLoader.parseDuration("s"));

        final GatewayConfig c = ok(Map.of(), "--handshake-timeout", "500ms", "--reconnect-grace", "PT1S",
                                   "--offline-ttl", "5m", "--slow-consumer-timeout", "30s");
        assertEquals(Duration.ofMillis(500), c.webSocket().handshakeTimeout());
        assertEquals(Duration.ofSeconds(1), c.chat().reconnectGrace());
        assertEquals(Duration.ofMinutes(5), c.offline().ttl());
        assertEquals(Duration.ofSeconds(30), c.chat().slowConsumerTimeout());
        assertEquals(Duration.ZERO, ok(Map.of(), "--reconnect-grace", "0s").chat().reconnectGrace());
    }

    @Test
    void sizes() {
        assertEquals(65536, ConfigLoader.parseBytes("64KiB"));
        assertEquals(65536, ConfigLoader.parseBytes("64kib"));
        assertEquals(1024 * 1024, ConfigLoader.parseBytes("1MiB"));
        assertEquals(2048, ConfigLoader.parseBytes("2048"));
        assertThrows(IllegalArgumentException.class, () -> ConfigLoader.parseBytes("64KB"));
        assertThrows(IllegalArgumentException.class, () -> ConfigLoader.parseBytes("4096MiB"));
        final GatewayConfig c = ok(Map.of(), "--max-frame-bytes", "128KiB", "--write-buffer-low", "16KiB",
                                   "--write-buffer-high", "1MiB");
        assertEquals(128 * 1024, c.webSocket().maxFrameBytes());
        assertEquals(16 * 1024, c.server().writeBufferLowBytes());
        assertEquals(1024 * 1024, c.server().writeBufferHighBytes());
    }

    @Test
    void maxConnectionsIsAutoByDefaultTheFileLimitMinusHeadroom() {
        assertEquals(0, ok(Map.of()).server().maxConnections());
        assertEquals(0, ok(Map.of(), "--max-connections", "auto").server().maxConnections());
        final GatewayConfig.Server auto = GatewayConfig.builder().build().server();
        assertEquals(20_000 - 1_000, auto.effectiveMaxConnections(20_000));      // 5%
        assertEquals(1_048_576 - 52_428, auto.effectiveMaxConnections(1_048_576));
        assertEquals(1024 - 256, auto.effectiveMaxConnections(1024));           // at least 256
        assertEquals(1, auto.effectiveMaxConnections(100));
        assertEquals(GatewayConfig.Server.FALLBACK_MAX_CONNECTIONS, auto.effectiveMaxConnections(-1));
        assertEquals(5, ok(Map.of(), "--max-connections", "5").server().effectiveMaxConnections(20_000));
    }

    @Test
    void theApiOnANonLoopbackAddressNeedsAKeyOrAnExplicitInsecureFlag() {
        invalid(Map.of(), List.of("--api-host", "0.0.0.0", "api-key", "api-insecure"), "--api-host", "0.0.0.0");
        invalid(Map.of(), List.of("--api-host", "api-insecure"), "--api-host", "gateway.internal");
        ok(Map.of(), "--api-host", "0.0.0.0", "--api-key", "k");
        ok(Map.of(), "--api-host", "0.0.0.0", "--api-insecure", "true");
        ok(Map.of(), "--api-host", "0.0.0.0", "--api-enabled", "false");
        for (String loopback : new String[] {"127.0.0.1", "127.1.2.3", "localhost", "::1"}) {
            ok(Map.of(), "--api-host", loopback);
        }
    }

    @Test
    void relaxedSettingsAreNamed() {
        assertEquals(List.of("auth-mode=off on 0.0.0.0 (anyone can connect as any userId)",
                             "allowed-origins=any (any web page can open connections)",
                             "api-key=none on 127.0.0.1 (whoever reaches the API can push and disconnect)"),
                     ok(Map.of()).relaxedSettings());
        assertEquals(List.of(), ok(Map.of(), "--host", "127.0.0.1", "--allowed-origins", "https://a.example",
                                   "--api-key", "k").relaxedSettings());
        assertEquals(List.of("allowed-origins=any (any web page can open connections)"),
                     ok(Map.of(), "--host", "127.0.0.1", "--api-enabled", "false").relaxedSettings());
    }

    @Test
    void frameAncestorsCannotStartAnotherDirective() {
        invalid(Map.of(), List.of("--frame-ancestors"), "--frame-ancestors", "'self'; script-src *");
        assertEquals("'self' https://a.example",
                     ok(Map.of(), "--frame-ancestors", "'self' https://a.example").server().frameAncestors());
    }

    @Test
    void wholeNumbersMayUseUnderscores() {
        assertEquals(100_000, ok(Map.of(), "--max-connections", "100_000").server().maxConnections());
    }
}
