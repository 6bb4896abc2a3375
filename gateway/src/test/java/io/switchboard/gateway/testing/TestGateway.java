package io.switchboard.gateway.testing;

import io.switchboard.gateway.GatewayInternals;
import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A {@link GatewayServer} on 127.0.0.1 and an ephemeral port, with the URIs to reach it. Tests get one from
 * {@link GatewayExtension} (one gateway) or {@link ClusterExtension} (a node of a cluster), which also close it.
 * What a test may not see through the public surface it asks {@link #internals()}.
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

    /**
     * A gateway configured by {@code settings} on top of the defaults (host and port are fixed to 127.0.0.1:0). Its
     * state is kept in memory unless {@code settings} give it a data directory: gateways of parallel tests must not
     * share one.
     */
    public static TestGateway start(UnaryOperator<GatewayConfig.Builder> settings) throws InterruptedException {
        final GatewayConfig.Builder builder = GatewayConfig.builder()
                .ioThreads(2)
                .dataDir("")
                .shutdownTimeout(Duration.ofSeconds(3));
        return start(settings.apply(builder).host("127.0.0.1").port(0).build());
    }

    /** A gateway with exactly {@code config} (which should bind 127.0.0.1:0). */
    public static TestGateway start(GatewayConfig config) throws InterruptedException {
        return new TestGateway(new GatewayServer(config).start());
    }

    /** The address of the WebSocket (main) listener. */
    public InetSocketAddress address() {
        return server.localAddress();
    }

    /** The address of the API listener ({@code /api/v1}, {@code /metrics}). */
    public InetSocketAddress apiAddress() {
        return server.apiAddress();
    }

    /** Plain HTTP to the API listener, with {@code apiKey} as bearer token ({@code null}: none). */
    public HttpTestClient api(String apiKey) {
        return new HttpTestClient(URI.create("http://127.0.0.1:" + apiAddress().getPort()), apiKey);
    }

    /** Plain HTTP to the main listener ({@code /healthz}, {@code /metrics}, the pages). */
    public HttpTestClient http() {
        return new HttpTestClient(URI.create("http://127.0.0.1:" + address().getPort()), null);
    }

    /** What the public surface does not show; see {@link GatewayInternals}. */
    public GatewayInternals internals() {
        return new GatewayInternals(server);
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
        return URI.create((server.config().tls().enabled() ? "wss" : "ws") + "://127.0.0.1:" + address().getPort()
                          + rawPathAndQuery);
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

    /** Stops the gateway gracefully (every session gets 1001). Idempotent. */
    @Override
    public void close() {
        server.close();
    }
}
