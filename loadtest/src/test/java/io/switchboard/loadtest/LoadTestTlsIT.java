package io.switchboard.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.loadtest.report.Report;
import io.switchboard.loadtest.report.RunResult;
import io.switchboard.loadtest.report.SloGates;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat scenario over {@code wss://} against a gateway with TLS on: a self-signed certificate for 127.0.0.1 made by
 * the JDK's {@code keytool}, trusted by the load tester through {@code --tls-ca} (host name checked).
 */
class LoadTestTlsIT {

    @TempDir
    Path dir;
    private GatewayServer gateway;
    private Path cert;

    @BeforeEach
    void startGateway() throws Exception {
        cert = dir.resolve("cert.pem");
        final Path key = dir.resolve("key.pem");
        selfSigned(cert, key);
        gateway = new GatewayServer(GatewayConfig.builder().host("127.0.0.1").port(0).dataDir("")
                .ratePerSecond(100_000).rateBurst(100_000).tlsCert(cert).tlsKey(key).build()).start();
    }

    @AfterEach
    void stopGateway() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void chatOverWssReconciles() throws Exception {
        final URI url = URI.create("wss://127.0.0.1:" + gateway.localAddress().getPort() + "/pinter/imserver");
        final LoadTestConfig config = new LoadTestConfig(url, "ittls", 4, 40, 200.0, java.time.Duration.ofSeconds(2),
                java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(30), 1000, 100, null, 1, 64,
                java.time.Duration.ofSeconds(10), 50, 2, null, null, new SloGates(null, 0.0, 0L), 0, 1, false, cert,
                false);
        final RunResult result = LoadTestMain.runLocal("chat", config, s -> { }, System::currentTimeMillis);
        final Report report = Report.of(result, config.gates());
        final long sent = result.counter("chat.sent");
        assertEquals(600, sent);
        assertEquals(44, result.counter("connect.established"));
        assertEquals(sent, result.counter("receipt.0.push-success"), "receipts");
        assertEquals(sent, result.counter("user.replies"), "replies received");
        assertEquals(0, report.summary("errors").longValue(), () -> result.counters().toString());
        assertTrue(report.passed(), () -> report.violations().toString());
        assertEquals("ca " + cert, "ca " + config.describe("chat").get("tlsTrust"));
    }

    /** keytool makes an EC P-256 key pair and certificate for 127.0.0.1; written as PEM (PKCS#8 key). */
    private void selfSigned(Path certFile, Path keyFile) throws Exception {
        final Path store = dir.resolve("ks.p12");
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "sb", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        final String output;
        try (InputStream out = p.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, () -> "keytool: " + output);
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        Files.writeString(certFile, pem("CERTIFICATE", ks.getCertificate("sb").getEncoded()));
        Files.writeString(keyFile, pem("PRIVATE KEY", ((PrivateKey) ks.getKey("sb", "changeit".toCharArray()))
                .getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
               + "\n-----END " + type + "-----\n";
    }
}
