package io.switchboard.gateway.metrics;

import io.switchboard.gateway.session.Role;
import io.switchboard.protocol.Failure;
import java.util.List;

/**
 * Records every event in each of several {@link GatewayMetrics}: the gateway's in-process counters (read by
 * {@code /healthz}, the stats API and tests) and the Micrometer registry behind {@code /metrics}. Thread-safe as its
 * sinks are; non-blocking; safe to call from an event loop.
 */
public final class FanOutGatewayMetrics implements GatewayMetrics {

    private final GatewayMetrics[] sinks;

    public FanOutGatewayMetrics(List<GatewayMetrics> sinks) {
        this.sinks = sinks.toArray(new GatewayMetrics[0]);
    }

    @Override
    public void connectionOpened(Role role) {
        for (GatewayMetrics m : sinks) {
            m.connectionOpened(role);
        }
    }

    @Override
    public void connectionClosed(Role role) {
        for (GatewayMetrics m : sinks) {
            m.connectionClosed(role);
        }
    }

    @Override
    public void handshakeRejected(int status) {
        for (GatewayMetrics m : sinks) {
            m.handshakeRejected(status);
        }
    }

    @Override
    public void connectionRefused() {
        for (GatewayMetrics m : sinks) {
            m.connectionRefused();
        }
    }

    @Override
    public void sessionReplaced() {
        for (GatewayMetrics m : sinks) {
            m.sessionReplaced();
        }
    }

    @Override
    public void messageRouted() {
        for (GatewayMetrics m : sinks) {
            m.messageRouted();
        }
    }

    @Override
    public void messageHeld() {
        for (GatewayMetrics m : sinks) {
            m.messageHeld();
        }
    }

    @Override
    public void failure(Failure failure) {
        for (GatewayMetrics m : sinks) {
            m.failure(failure);
        }
    }

    @Override
    public void matched() {
        for (GatewayMetrics m : sinks) {
            m.matched();
        }
    }

    @Override
    public void pairingEnded() {
        for (GatewayMetrics m : sinks) {
            m.pairingEnded();
        }
    }

    @Override
    public void slowConsumer(boolean closed) {
        for (GatewayMetrics m : sinks) {
            m.slowConsumer(closed);
        }
    }

    @Override
    public void offlineExpired(int count) {
        for (GatewayMetrics m : sinks) {
            m.offlineExpired(count);
        }
    }

    @Override
    public void offlineDropped(int count) {
        for (GatewayMetrics m : sinks) {
            m.offlineDropped(count);
        }
    }

    @Override
    public void offlineDelivered(int count) {
        for (GatewayMetrics m : sinks) {
            m.offlineDelivered(count);
        }
    }

    @Override
    public void policyClose() {
        for (GatewayMetrics m : sinks) {
            m.policyClose();
        }
    }

    @Override
    public void unexpectedError() {
        for (GatewayMetrics m : sinks) {
            m.unexpectedError();
        }
    }

    @Override
    public void routingLatency(long nanos) {
        for (GatewayMetrics m : sinks) {
            m.routingLatency(nanos);
        }
    }

    @Override
    public void pushed(int delivered, int held, int unknown) {
        for (GatewayMetrics m : sinks) {
            m.pushed(delivered, held, unknown);
        }
    }

    @Override
    public void webhookSent(long nanos) {
        for (GatewayMetrics m : sinks) {
            m.webhookSent(nanos);
        }
    }

    @Override
    public void webhookFailed() {
        for (GatewayMetrics m : sinks) {
            m.webhookFailed();
        }
    }

    @Override
    public void webhookDropped(String reason) {
        for (GatewayMetrics m : sinks) {
            m.webhookDropped(reason);
        }
    }
}
