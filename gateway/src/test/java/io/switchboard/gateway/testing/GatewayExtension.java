package io.switchboard.gateway.testing;

import io.switchboard.gateway.GatewayInternals;
import io.switchboard.gateway.config.GatewayConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * "A running gateway plus clients" for an integration test class: a fresh {@link TestGateway} on 127.0.0.1:0 for
 * every test, {@link WsTestClient}s on one event-loop group for the class, and all of it closed afterwards (the
 * clients a test connected through {@link #connect} after the test, then the gateway; the group after the class).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final GatewayExtension gateway = GatewayExtension.with(b -> b.handshakeTimeout(Duration.ofMillis(500)));
 *
 * @Test
 * void rateLimited() {
 *     gateway.start(b -> b.ratePerSecond(5).rateBurst(5));   // optional: this test's own settings
 *     WsTestClient user = gateway.connect(gateway.user("u1"));
 * }
 * }</pre>
 *
 * The gateway starts on first use with the class settings, or when the test calls {@link #start} with settings of
 * its own on top. Register it on a {@code static} field; tests of one class run one at a time.
 */
public final class GatewayExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    private final UnaryOperator<GatewayConfig.Builder> classSettings;
    private WsTestClients clients;
    private TestGateway gateway;

    private GatewayExtension(UnaryOperator<GatewayConfig.Builder> classSettings) {
        this.classSettings = classSettings;
    }

    /** Every test gets a gateway with the test defaults ({@link TestGateway#start()}). */
    public static GatewayExtension withDefaults() {
        return with(UnaryOperator.identity());
    }

    /** Every test gets a gateway with {@code settings} on top of the test defaults. */
    public static GatewayExtension with(UnaryOperator<GatewayConfig.Builder> settings) {
        return new GatewayExtension(settings);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        clients = new WsTestClients();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            clients.closeOpen();
        } finally {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        clients.close();
    }

    /**
     * Starts this test's gateway with the class settings and then {@code testSettings}; a gateway already running
     * in this test is stopped first.
     */
    public TestGateway start(UnaryOperator<GatewayConfig.Builder> testSettings) {
        stop();
        try {
            gateway = TestGateway.start(b -> testSettings.apply(classSettings.apply(b)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while starting the gateway", e);
        }
        return gateway;
    }

    /** This test's gateway, started with the class settings if the test did not start it. */
    public TestGateway gateway() {
        return gateway != null ? gateway : start(UnaryOperator.identity());
    }

    /** Stops this test's gateway gracefully now (every session gets 1001). Idempotent. */
    public void stop() {
        if (gateway != null) {
            final TestGateway g = gateway;
            gateway = null;
            g.close();
        }
    }

    /** The shared client factory of the class (for clients a test manages itself). */
    public WsTestClients clients() {
        return clients;
    }

    /** Connects a client (waiting for the upgrade), closed after the test unless the test closes it first. */
    public WsTestClient connect(URI uri) {
        return clients.connect(uri);
    }

    /** {@link #connect(URI)} with options (headers, a client that does not answer pings). */
    public WsTestClient connect(URI uri, WsTestClient.Options options) {
        return clients.connect(uri, options);
    }

    /** See {@link TestGateway#user}. */
    public URI user(String userId) {
        return gateway().user(userId);
    }

    /** See {@link TestGateway#agent}. */
    public URI agent(String userId) {
        return gateway().agent(userId);
    }

    /** See {@link TestGateway#uri}. */
    public URI uri(String rawPathAndQuery) {
        return gateway().uri(rawPathAndQuery);
    }

    /** The address of the WebSocket listener. */
    public InetSocketAddress address() {
        return gateway().address();
    }

    /** Plain HTTP to the API listener, without an API key. */
    public HttpTestClient api() {
        return gateway().api(null);
    }

    /** Plain HTTP to the API listener with {@code apiKey}. */
    public HttpTestClient api(String apiKey) {
        return gateway().api(apiKey);
    }

    /** Plain HTTP to the main listener. */
    public HttpTestClient http() {
        return gateway().http();
    }

    /** What the public surface does not show; see {@link GatewayInternals}. */
    public GatewayInternals internals() {
        return gateway().internals();
    }
}
