package io.switchboard.gateway;

import io.switchboard.gateway.cluster.ClusterCrash;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.tls.ServerTls;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * The only place where integration tests reach past the public surface (WebSocket, {@code /api/v1}, {@code /metrics},
 * {@code /healthz}) into a running gateway. Each method says why the public surface does not do. It lives in the
 * gateway's package to reach {@link GatewayServer}'s package-private accessors ({@code registry()}, {@code matches()},
 * {@code cluster()}), which main code does not expose.
 */
public final class GatewayInternals {

    private final GatewayServer server;

    public GatewayInternals(GatewayServer server) {
        this.server = server;
    }

    /**
     * Completes once the server has processed the close of {@code userId}'s current connection (its session is
     * unregistered and pairings are in their grace period). Call it before closing the client. Public surface: only
     * by polling {@code /api/v1/users/{id}}; this is an exact event instead. Uses {@code registry()}.
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

    /**
     * The client-side address of the connection registered for {@code userId}, or {@code null}: which of two
     * connections the server kept. The API says only whether the user is online. Uses {@code registry()}.
     */
    public SocketAddress connectionOf(String userId) {
        final Session session = server.registry().find(userId);
        return session == null ? null : session.channel().remoteAddress();
    }

    /**
     * The number of slots {@code agentId} has taken (what its capacity is checked against). The API shows the paired
     * users, not the load counter. Uses {@code matches()}.
     */
    public Integer agentLoad(String agentId) {
        return server.matches().loads().get(agentId);
    }

    /**
     * Completes when the gateway has loaded changed TLS files. The public surface shows it only to a new connection,
     * which a test would have to retry until the new certificate appears; this is the exact event. Uses
     * {@code tls()}.
     */
    public CompletableFuture<?> nextTlsReload() {
        return server.tls().nextReload();
    }

    /** TLS of the listeners, to check the files now rather than at the next period. Uses {@code tls()}. */
    public ServerTls tls() {
        return server.tls();
    }

    /** Whether the gateway built its cluster component. Not visible on any endpoint. Uses {@code cluster()}. */
    public boolean clustered() {
        return server.cluster() != null;
    }

    /**
     * Kills the node as a killed process would go: its heartbeat and Redis traffic stop first, then its listener.
     * Uses {@code cluster().simulateCrash()}.
     */
    public void crash() throws InterruptedException {
        ClusterCrash.simulate(server.cluster());
        server.close();
    }
}
