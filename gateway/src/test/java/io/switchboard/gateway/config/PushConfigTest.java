package io.switchboard.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auth, API and webhook settings: parsing, validation with the offending value, secrets never shown. */
class PushConfigTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @Test
    void defaults() {
        final GatewayConfig c = GatewayConfig.builder().build();
        assertFalse(c.auth().enabled());
        assertEquals(Duration.ofSeconds(30), c.auth().clockSkew());
        assertTrue(c.api().enabled());
        assertEquals("127.0.0.1", c.api().host());
        assertEquals(8081, c.apiPort());
        assertEquals(0, GatewayConfig.builder().port(0).build().apiPort());
        assertFalse(c.webhooks().enabled());
        assertEquals(Duration.ofMinutes(5), c.webhooks().retryWindow());
    }

    @Test
    void flagsAndEnvironment() {
        final ConfigLoader.Result r = ConfigLoader.load(new String[] {
                "--auth-mode", "hs256", "--api-port", "9001",
                "--allowed-origins", "https://a.example, https://b.example",
                "--webhook-urls", "http://127.0.0.1:9/hooks", "--webhook-archive-messages", "true",
                "--webhook-retry-window", "2m"},
                Map.of("SWITCHBOARD_AUTH_SECRET", SECRET, "SWITCHBOARD_WEBHOOK_SECRET", "wh", "SWITCHBOARD_API_ENABLED",
                       "false"));
        assertTrue(r.shouldStart(), r.output());
        final GatewayConfig c = r.config();
        assertEquals(GatewayConfig.Auth.Mode.HS256, c.auth().mode());
        assertEquals(List.of("https://a.example", "https://b.example"), c.auth().allowedOrigins());
        assertEquals(9001, c.apiPort());
        assertFalse(c.api().enabled());
        assertEquals(List.of(URI.create("http://127.0.0.1:9/hooks")), c.webhooks().urls());
        assertTrue(c.webhooks().archiveMessages());
        assertEquals(Duration.ofMinutes(2), c.webhooks().retryWindow());
    }

    @Test
    void secretsFromFiles() throws Exception {
        final Path key = Files.writeString(dir.resolve("api-key"), "from-a-file\n");
        final Path secret = Files.writeString(dir.resolve("secret"), SECRET);
        final ConfigLoader.Result r = ConfigLoader.load(new String[] {"--auth-mode", "hs256"},
                Map.of("SWITCHBOARD_API_KEY_FILE", key.toString(), "SWITCHBOARD_AUTH_SECRET_FILE", secret.toString()));
        assertTrue(r.shouldStart(), r.output());
        assertEquals("from-a-file", r.config().api().apiKey());
        assertEquals(SECRET, r.config().auth().secret());
    }

    @Test
    void invalidSettingsNameTheValueButNeverASecret() {
        final ConfigLoader.Result shortSecret = ConfigLoader.load(
                new String[] {"--auth-mode", "hs256", "--auth-secret", "hunter2"}, Map.of());
        assertNull(shortSecret.config());
        assertTrue(shortSecret.output().contains("7 bytes"), shortSecret.output());
        assertFalse(shortSecret.output().contains("hunter2"), shortSecret.output());

        final ConfigLoader.Result mode = ConfigLoader.load(new String[] {"--auth-mode", "rsa"}, Map.of());
        assertTrue(mode.output().contains("'rsa'"), mode.output());
        final ConfigLoader.Result noKey = ConfigLoader.load(new String[] {"--auth-mode", "rs256"}, Map.of());
        assertTrue(noKey.output().contains("authPublicKeyFile"), noKey.output());
        final ConfigLoader.Result unsigned = ConfigLoader.load(
                new String[] {"--webhook-urls", "http://127.0.0.1:9/x"}, Map.of());
        assertTrue(unsigned.output().contains("webhookSecret"), unsigned.output());
        final ConfigLoader.Result ftp = ConfigLoader.load(
                new String[] {"--webhook-urls", "ftp://x/y", "--webhook-secret", "s"}, Map.of());
        assertTrue(ftp.output().contains("ftp://x/y"), ftp.output());
    }

    @Test
    void toStringRedactsSecrets() {
        final GatewayConfig c = GatewayConfig.builder().authMode(GatewayConfig.Auth.Mode.HS256).authSecret(SECRET)
                                             .apiKey("the-api-key").webhookUrls(List.of(URI.create("http://h/x")))
                                             .webhookSecret("the-webhook-secret").build();
        final String text = c.toString();
        assertFalse(text.contains(SECRET), text);
        assertFalse(text.contains("the-api-key"), text);
        assertFalse(text.contains("the-webhook-secret"), text);
        assertTrue(text.contains("(set)"), text);
    }

    @Test
    void helpListsTheNewSettings() {
        final String help = ConfigLoader.load(new String[] {"--help"}, Map.of()).output();
        for (String flag : List.of("--auth-mode", "--auth-jwks-file", "--allowed-origins", "--api-key", "--api-port",
                                   "--webhook-urls", "--webhook-secret", "--webhook-retry-window")) {
            assertTrue(help.contains(flag), flag);
        }
    }
}
