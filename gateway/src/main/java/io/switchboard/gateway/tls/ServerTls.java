package io.switchboard.gateway.tls;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.GatewayMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of TLS for both listeners: one {@link SslContext} built from {@code tls-cert} and {@code tls-key},
 * held in an {@link AtomicReference} and swapped when either file changes. Each accepted connection takes the context
 * in force at its accept ({@link #addTo}), so a swap reaches new handshakes only: connections already open keep the
 * engine, and the certificate, they started with.
 *
 * <p>Threading: the files are read at construction (the caller's thread) and then only by a daemon thread of its own
 * ({@code sb-tls-reload}), every {@code tls-reload-check}; the event loops only read the reference. A file that no
 * longer parses, or a key that does not match the certificate (a rotation caught half-way), keeps the previous
 * context and is logged once as a warning; it is tried again when either file changes again.
 *
 * <p>Provider: OpenSSL (BoringSSL from {@code netty-tcnative-boringssl-static}) when it loads and {@code tls-provider}
 * allows it, else the JDK's. Protocols: TLS 1.3 and 1.2 only.
 */
public final class ServerTls implements AutoCloseable {

    /** The handler names this class adds at the head of a pipeline, in order. */
    public static final String HANDLER = "tls";
    public static final String FAILURES = "tls-failures";
    /** TLS 1.2 and 1.3 only: 1.0 and 1.1 are deprecated (RFC 8996). */
    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /**
     * TLS 1.3's suites, and for TLS 1.2 only forward-secret AEAD ones (ECDHE with AES-GCM or ChaCha20-Poly1305):
     * Netty's default list also keeps CBC and static-RSA suites for old clients, which a WebSocket gateway does not
     * need. Suites a provider lacks are filtered out.
     */
    static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private static final Logger logger = LoggerFactory.getLogger(ServerTls.class);

    private final Path cert;
    private final Path key;
    private final SslProvider provider;
    private final long handshakeTimeoutMillis;
    private final AtomicReference<SslContext> context = new AtomicReference<>();
    private final AtomicReference<CompletableFuture<SslContext>> nextReload =
            new AtomicReference<>(new CompletableFuture<>());
    private final ScheduledExecutorService watcher;
    /** The files' modification times and sizes when last read, successfully or not; guarded by {@code this}. */
    private List<Object> stamp;
    /** The leaf certificate in force, for the log lines; guarded by {@code this}. */
    private X509Certificate leaf;

    /**
     * Loads the certificate and key now and starts watching them.
     *
     * @param handshakeTimeoutMillis how long a TLS handshake may take before the connection is closed
     * @throws IllegalStateException naming the file and the reason when they cannot be loaded, or when
     *                               {@code tls-provider=openssl} and OpenSSL does not load here
     */
    public ServerTls(GatewayConfig.Tls config, long handshakeTimeoutMillis) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("TLS is not configured");
        }
        this.cert = config.cert();
        this.key = config.key();
        this.provider = provider(config.provider());
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        try {
            load();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("tls-cert " + cert + ", tls-key " + key + ": cannot load them: "
                                            + e.getMessage(), e);
        }
        logger.info("TLS on with {} ({}), {}; certificate {} (expires {}), checked for changes every {}",
                    provider == SslProvider.OPENSSL ? "OpenSSL" : "the JDK's TLS",
                    provider == SslProvider.OPENSSL ? OpenSsl.versionString() : System.getProperty("java.version"),
                    String.join("/", PROTOCOLS), cert, leafExpiry(), config.reloadCheck());
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "sb-tls-reload");
            t.setDaemon(true);
            return t;
        });
        final long every = config.reloadCheck().toMillis();
        watcher.scheduleWithFixedDelay(this::checkNow, every, every, TimeUnit.MILLISECONDS);
    }

    private static SslProvider provider(GatewayConfig.Tls.Provider wanted) {
        switch (wanted) {
            case JDK:
                return SslProvider.JDK;
            case OPENSSL:
                if (!OpenSsl.isAvailable()) {
                    throw new IllegalStateException("tls-provider openssl: OpenSSL does not load on this platform ("
                                                    + OpenSsl.unavailabilityCause() + ')');
                }
                return SslProvider.OPENSSL;
            default:
                return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        }
    }

    /** {@code OpenSSL} or {@code JDK}: the implementation the handshakes run on. */
    public String providerName() {
        return provider == SslProvider.OPENSSL ? "OpenSSL" : "JDK";
    }

    /**
     * The handler that turns a failed handshake into a counted, quiet close and removes itself once the handshake
     * succeeded; stateless, so one per listener serves every connection.
     */
    public static ChannelHandler failureHandler(GatewayMetrics metrics) {
        return new TlsFailureHandler(requireNonNull(metrics, "metrics"));
    }

    /**
     * Puts TLS at the head of {@code ch}'s pipeline: an {@link SslHandler} of the context in force now, then
     * {@code failures} (from {@link #failureHandler}). Call it first in {@code initChannel}.
     */
    public void addTo(Channel ch, ChannelHandler failures) {
        final SslHandler ssl = context.get().newHandler(ch.alloc());
        ssl.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        final ChannelPipeline p = ch.pipeline();
        p.addFirst(FAILURES, failures);
        p.addFirst(HANDLER, ssl);
    }

    /**
     * Re-reads the files if either one's modification time or size moved, and swaps the context when they load.
     * Runs on the watcher thread, or a test's.
     *
     * @return whether a new context is now in force
     */
    public synchronized boolean checkNow() {
        final List<Object> now;
        try {
            now = stamp();
        } catch (IOException e) {
            if (stamp != null) { // once, until the files are back
                logger.warn("TLS files cannot be read, keeping the certificate in force: {}", e.toString());
                stamp = null;
            }
            return false;
        }
        if (now.equals(stamp)) {
            return false;
        }
        try {
            load();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // RuntimeException too: an exception escaping this periodic task would end the checks for good.
            stamp = now; // warn once per change, not at every check
            logger.warn("TLS files {} and {} changed but cannot be loaded, keeping the certificate in force: {}",
                        cert, key, e.getMessage());
            return false;
        }
        logger.info("TLS certificate reloaded from {} (expires {}); new connections use it", cert, leafExpiry());
        nextReload.getAndSet(new CompletableFuture<>()).complete(context.get());
        return true;
    }

    /** Completes with the new context at the next successful reload (for tests). */
    public CompletableFuture<SslContext> nextReload() {
        return nextReload.get();
    }

    private synchronized void load() throws IOException, GeneralSecurityException {
        final List<Object> before = stamp();
        final PemFiles.KeyPair pair = PemFiles.read(cert, key);
        final SslContext built;
        try {
            built = SslContextBuilder.forServer(pair.key(), pair.chain())
                    .sslProvider(provider)
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .build();
        } catch (SSLException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
        context.set(built);
        leaf = pair.leaf();
        stamp = before;
    }

    private synchronized String leafExpiry() {
        return leaf.getNotAfter().toInstant().toString();
    }

    private List<Object> stamp() throws IOException {
        final BasicFileAttributes c = Files.readAttributes(cert, BasicFileAttributes.class);
        final BasicFileAttributes k = Files.readAttributes(key, BasicFileAttributes.class);
        return List.of(c.lastModifiedTime(), c.size(), k.lastModifiedTime(), k.size());
    }

    /**
     * Whether {@code cause}, or what it wraps, is a TLS failure: a client's doing (a bad record, an alert), logged
     * like a reset rather than as a server fault.
     */
    public static boolean isTlsFailure(Throwable cause) {
        return TlsFailureHandler.isTls(cause);
    }

    /** Stops watching the files. Connections keep their engines. */
    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
