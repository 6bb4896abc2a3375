package io.switchboard.gateway.tls;

import static io.switchboard.gateway.testing.Conversations.assertServerMessage;
import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContextBuilder;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.HttpTestClient;
import io.switchboard.gateway.testing.TestCertificate;
import io.switchboard.gateway.testing.TestGateway;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * Native TLS on both listeners (issue #15): the PROTOCOL.md §4 session over {@code wss://} with each provider, a
 * plaintext client on the TLS port, the API over TLS, and certificate rotation on disk. The certificates are
 * self-signed, made by {@code keytool} for 127.0.0.1 ({@link TestCertificate}); clients verify the host name.
 */
class TlsIT {

    private static final String AGENT = "cf2137234f3943e3898df8fcd14f099a__mtx";
    private static final String REPLY = "同学,你好,非常高兴为你服务,有什么需要我帮忙的呢?";

    @TempDir
    static Path dir;
    private static TestCertificate first;
    private static TestCertificate second;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    /** The files the gateway of each test serves: a copy of {@code first}'s, which a test may replace. */
    private Path served;
    private Path servedKey;

    @BeforeAll
    static void certificates() throws IOException, InterruptedException {
        first = TestCertificate.generate(dir, "first");
        second = TestCertificate.generate(dir, "second");
    }

    @BeforeEach
    void serveTheFirstCertificate() throws IOException {
        served = dir.resolve("served.pem");
        servedKey = dir.resolve("served.key");
        Files.copy(first.cert(), served, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(first.key(), servedKey, StandardCopyOption.REPLACE_EXISTING);
    }

    private TestGateway startTls(UnaryOperator<GatewayConfig.Builder> more) {
        return gateway.start(b -> more.apply(b.tlsCert(served).tlsKey(servedKey)));
    }

    private static WsTestClient.Options trusting(TestCertificate... trusted) {
        return WsTestClient.Options.defaults().tls(TestCertificate.clientContext(trusted));
    }

    @ParameterizedTest
    @EnumSource(value = GatewayConfig.Tls.Provider.class, names = {"JDK", "OPENSSL"})
    void exampleSessionOverWss(GatewayConfig.Tls.Provider provider) {
        Assumptions.assumeTrue(provider != GatewayConfig.Tls.Provider.OPENSSL || OpenSsl.isAvailable(),
                               () -> "OpenSSL does not load here: " + OpenSsl.unavailabilityCause());
        final TestGateway g = startTls(b -> b.tlsProvider(provider));
        assertEquals("wss", g.user("admin").getScheme());
        try (WsTestClient agent = gateway.connect(g.agent(AGENT), trusting(first));
             WsTestClient admin = gateway.connect(g.user("admin"), trusting(first))) {
            assertEquals(first.certificate(), admin.peerCertificates()[0]);
            final long before = System.currentTimeMillis();
            admin.sendText("{\"type\":\"match\",\"from\":\"admin\",\"to\":\"system\"}");
            assertServerMessage(admin.next("match", TIMEOUT), "match", "0", "system", "admin", AGENT, before);
            assertServerMessage(agent.next("match", TIMEOUT), "match", "0", "system", AGENT, "admin", before);

            admin.sendText("{\"type\":\"normal\",\"from\":\"admin\",\"to\":\"" + AGENT + "\",\"msg\":\"你好\"}");
            assertServerMessage(admin.next("receipt", TIMEOUT), "receipt", "0", "system", "admin", "push success",
                                before);
            assertServerMessage(agent.next("normal", TIMEOUT), "normal", "0", "admin", AGENT, "你好", before);

            agent.sendText("{\"type\":\"normal\",\"to\":\"admin\",\"msg\":\"" + REPLY + "\"}");
            assertServerMessage(agent.next("receipt", TIMEOUT), "receipt", "0", "system", AGENT, "push success",
                                before);
            assertServerMessage(admin.next("normal", TIMEOUT), "normal", "0", AGENT, "admin", REPLY, before);

            admin.sendText("{\"type\":\"normal\",\"to\":\"" + AGENT + "\",\"msg\":\"\"}");
            final Envelope empty = admin.next("receipt", TIMEOUT);
            assertServerMessage(empty, "receipt", "1", "system", "admin", "消息内容为空", before);
            assertEquals("EMPTY_MSG", empty.reason());

            admin.send(Envelope.client("leave", "l1", AGENT, null));
            assertServerMessage(agent.next("leave", TIMEOUT), "leave", "0", "system", AGENT, "admin", before);
        }
    }

    @Test
    void aPlaintextClientOnTheTlsPortIsClosedQuietlyAndTheGatewayKeepsServing() throws Exception {
        // The API stays plain on loopback here (api-tls=false), to read /metrics without TLS.
        final TestGateway g = startTls(b -> b.apiTls(false));
        final ListAppender<ILoggingEvent> log = new ListAppender<>();
        final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        log.start();
        root.addAppender(log);
        try {
            // A raw HTTP upgrade request: the server answers with at most a TLS alert, never HTTP, and closes.
            try (Socket s = new Socket("127.0.0.1", g.address().getPort())) {
                s.setSoTimeout((int) TIMEOUT.toMillis());
                s.getOutputStream().write(("GET /pinter/imserver/u1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket"
                                           + "\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                           + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                                                  .getBytes(StandardCharsets.US_ASCII));
                final byte[] answer = readToEnd(s.getInputStream());
                assertFalse(new String(answer, StandardCharsets.ISO_8859_1).startsWith("HTTP/"),
                            "a plaintext answer on the TLS port");
            }
            // A ws:// client: the upgrade never completes.
            final URI plain = URI.create("ws://127.0.0.1:" + g.address().getPort() + "/pinter/imserver/u2");
            final ExecutionException failed = assertThrows(ExecutionException.class, () -> WsTestClient.connectAsync(
                    gateway.clients(), plain, WsTestClient.Options.defaults()).get(TIMEOUT.toMillis(),
                                                                                    TimeUnit.MILLISECONDS));
            assertTrue(String.valueOf(failed.getCause().getMessage()).contains("closed before the WebSocket upgrade"),
                       failed.getCause().toString());

            // The gateway goes on serving wss:// clients.
            try (WsTestClient agent = gateway.connect(g.agent("a1"), trusting(first))) {
                agent.send(Envelope.client("ping", "p1", null, null));
                assertEquals("p1", agent.next("pong", TIMEOUT).msgId());
            }
            assertEquals(2.0, g.api(null).metric("switchboard_tls_handshakes_failed_total"));
        } finally {
            root.detachAppender(log);
            log.stop();
        }
        final List<ILoggingEvent> loud = log.list.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN) || e.getThrowableProxy() != null).toList();
        assertTrue(loud.isEmpty(), () -> "the server logged: " + loud);
    }

    @Test
    void theApiListenerServesTlsToo() {
        final TestGateway g = startTls(UnaryOperator.identity());
        final HttpTestClient api = new HttpTestClient(URI.create("https://127.0.0.1:" + g.apiAddress().getPort()), null,
                                                      first.jdkContext());
        assertEquals(200, api.get("/healthz").statusCode());
        final HttpTestClient main = new HttpTestClient(URI.create("https://127.0.0.1:" + g.address().getPort()), null,
                                                       first.jdkContext());
        assertEquals(200, main.get("/healthz").statusCode());
        // The pages derive ws:// or wss:// from the page's own scheme.
        assertTrue(main.get("/assets/protocol.js").body().contains("location.protocol === 'https:' ? 'wss:' : 'ws:'"));
        // Plain HTTP to the API's TLS port gets no HTTP answer.
        final HttpTestClient plainApi = new HttpTestClient(URI.create("http://127.0.0.1:" + g.apiAddress().getPort()),
                                                           null);
        final AssertionError refused = assertThrows(AssertionError.class, () -> plainApi.get("/healthz"));
        assertInstanceOf(IOException.class, refused.getCause(), refused.toString());
    }

    @Test
    void aNewCertificateOnDiskReachesNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
        final TestGateway g = startTls(b -> b.tlsReloadCheck(Duration.ofMillis(100)));
        final WsTestClient agent = gateway.connect(g.agent("a1"), trusting(first));
        assertEquals(first.certificate(), agent.peerCertificates()[0]);

        // Rotated by the periodic check, no restart.
        final var reloaded = g.internals().nextTlsReload();
        second.installAs(served, servedKey);
        reloaded.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        // A new connection sees the new certificate (and would fail if it were still offered the old one)...
        final WsTestClient user = gateway.connect(g.user("u1"), trusting(second));
        assertEquals(second.certificate(), user.peerCertificates()[0]);
        // ... and the old connection is untouched: same session, same certificate, chat both ways.
        user.send(Envelope.client("match", "m1", "system", null));
        assertEquals("a1", user.next("match", TIMEOUT).msg());
        assertEquals("u1", agent.next("match", TIMEOUT).msg());
        user.send(Envelope.client("normal", "n1", "a1", "after the rotation"));
        assertEquals("push success", user.next("receipt", TIMEOUT).msg());
        assertEquals("after the rotation", agent.next("normal", TIMEOUT).msg());
        agent.send(Envelope.client("normal", "n2", "u1", "still here"));
        assertEquals("push success", agent.next("receipt", TIMEOUT).msg());
        assertEquals("still here", user.next("normal", TIMEOUT).msg());
        assertEquals(first.certificate(), agent.peerCertificates()[0]);
    }

    @Test
    void aHalfDoneRotationKeepsTheCertificateInForce() throws Exception {
        final TestGateway g = startTls(b -> b.tlsReloadCheck(Duration.ofHours(1)));
        final ServerTls tls = g.internals().tls();
        // The new certificate is in place, its key not yet: the key does not belong to it, nothing changes.
        Files.copy(second.cert(), served, StandardCopyOption.REPLACE_EXISTING);
        assertFalse(tls.checkNow());
        final WsTestClient before = gateway.connect(g.user("u1"), trusting(first));
        assertEquals(first.certificate(), before.peerCertificates()[0]);
        // Now the key: the pair loads.
        Files.copy(second.key(), servedKey, StandardCopyOption.REPLACE_EXISTING);
        assertTrue(tls.checkNow());
        final WsTestClient after = gateway.connect(g.user("u2"), trusting(second));
        assertEquals(second.certificate(), after.peerCertificates()[0]);
    }

    @Test
    void tls12IsServedWithForwardSecretAeadSuitesOnly() throws Exception {
        final TestGateway g = startTls(UnaryOperator.identity());
        final WsTestClient tls12 = gateway.connect(g.user("u1"), WsTestClient.Options.defaults().tls(
                SslContextBuilder.forClient().trustManager(first.certificate()).protocols("TLSv1.2").build()));
        assertEquals(first.certificate(), tls12.peerCertificates()[0]);
        // A client that offers only a CBC suite finds nothing in common: the handshake fails.
        final WsTestClient.Options cbcOnly = WsTestClient.Options.defaults().tls(
                SslContextBuilder.forClient().trustManager(first.certificate()).protocols("TLSv1.2")
                        .ciphers(List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")).build());
        assertThrows(ExecutionException.class, () -> WsTestClient.connectAsync(gateway.clients(), g.user("u2"), cbcOnly)
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    }

    @Test
    void aKeyThatIsNotTheCertificatesStopsTheStartWithBothFileNames() {
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> TestGateway.start(
                b -> b.tlsCert(first.cert()).tlsKey(second.key())));
        assertTrue(e.getMessage().contains(first.cert().toString()) && e.getMessage().contains(second.key().toString())
                   && e.getMessage().contains("does not belong"), e.getMessage());
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) >= 0; ) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }
}
