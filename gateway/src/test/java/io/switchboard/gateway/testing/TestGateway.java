package io.switchboard.gateway.testing;

import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.session.Session;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * A {@link GatewayServer} on 127.0.0.1 and an ephemeral port, with the URIs to reach it. Close it in
 * {@code @AfterEach}.
 *
 * <pre>{@code
 * gateway = TestGateway.start(b -> b.ratePerSecond(5).rateBurst(5));
 * WsTestClient admin = WsTestClient.connect(clients, gateway.user("admin"));
 * }</pre>
 */
public final class TestGateway implements AutoCloseable {

    private final GatewayServer server;

    private TestGateway(GatewayServer server) {
        this.server = server;
    }

    /** A gateway with the default configuration. */
    public static TestGateway start() throws InterruptedException {
        return start(UnaryOperator.identity());
    }

    /** A gateway configured by {@code settings} on top of the defaults (host and port are fixed to 127.0.0.1:0). */
    public static TestGateway start(UnaryOperator<GatewayConfig.Builder> settings) throws InterruptedException {
        final GatewayConfig.Builder builder = GatewayConfig.builder()
                .ioThreads(2)
                .shutdownTimeout(Duration.ofSeconds(3));
        final GatewayConfig config = settings.apply(builder).host("127.0.0.1").port(0).build();
        return new TestGateway(new GatewayServer(config).start());
    }

    public GatewayServer server() {
        return server;
    }

    public InetSocketAddress address() {
        return server.localAddress();
    }

    /** The WebSocket URI of user {@code userId} (percent-encoded as a path segment). */
    public URI user(String userId) {
        return uri(server.config().webSocket().path() + '/' + encodePathSegment(userId));
    }

    /** The WebSocket URI of agent {@code userId} ({@code ?role=agent}). */
    public URI agent(String userId) {
        return uri(server.config().webSocket().path() + '/' + encodePathSegment(userId) + "?role=agent");
    }

    /** A WebSocket URI with a raw (already encoded) path and query. */
    public URI uri(String rawPathAndQuery) {
        return URI.create("ws://127.0.0.1:" + address().getPort() + rawPathAndQuery);
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters, as UTF-8. */
    public static String encodePathSegment(String s) {
        final StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            final int c = x & 0xFF;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '-' || c == '.' || c == '_' || c == '~') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                 .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return b.toString();
    }

    /**
     * Completes once the server has processed the close of {@code userId}'s current connection (its session is
     * unregistered and pairings are in their grace period). Call it before closing the client.
     */
    public CompletableFuture<Void> serverSideClosed(String userId) {
        final Session session = server.registry().find(userId);
        if (session == null) {
            throw new IllegalStateException("no session for " + userId);
        }
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        // Listeners run in order: the gateway's own close listener, added at registration, has run before this one.
        session.channel().closeFuture().addListener(f -> closed.complete(null));
        return closed;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the gateway", e);
        }
    }
}
