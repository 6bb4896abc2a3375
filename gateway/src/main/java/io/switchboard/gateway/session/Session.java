package io.switchboard.gateway.session;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One upgraded WebSocket connection of one userId. Identity matters: two sessions of the same userId are different
 * sessions (the later replaces the earlier), so {@code equals} is {@code Object} identity.
 *
 * <p>Thread-safe: the fields are final, and the slow-consumer flag is atomic because routers on other event loops
 * set it.
 */
public final class Session {

    private final String userId;
    private final Role role;
    private final Channel channel;
    private final long connectedAtMillis;
    private final AtomicBoolean slowConsumerCheckArmed = new AtomicBoolean();

    public Session(ConnectionIdentity identity, Channel channel, long connectedAtMillis) {
        this.userId = identity.userId();
        this.role = identity.role();
        this.channel = requireNonNull(channel, "channel");
        this.connectedAtMillis = connectedAtMillis;
    }

    public String userId() {
        return userId;
    }

    public Role role() {
        return role;
    }

    /** The connection; write to it with {@code channel().writeAndFlush(envelope)} from any thread. */
    public Channel channel() {
        return channel;
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    /**
     * Arms the slow-consumer check once; returns {@code false} if it is already armed, so that a burst of messages
     * to a slow peer schedules one check, not one per message.
     */
    public boolean armSlowConsumerCheck() {
        return slowConsumerCheckArmed.compareAndSet(false, true);
    }

    /** Disarms the slow-consumer check (the peer caught up, or the check ran). */
    public void disarmSlowConsumerCheck() {
        slowConsumerCheckArmed.set(false);
    }

    @Override
    public String toString() {
        return "Session(" + userId + ", " + role.wireName() + ", " + channel.id().asShortText() + ')';
    }
}
