package io.switchboard.gateway.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.OfflineStore;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.json.EnvelopeJson;
import io.switchboard.protocol.netty.CloseCodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the API does, apart from HTTP: pushes through the {@link Router} (so an offline recipient's message is held),
 * looks users up, disconnects them. A push to several recipients encodes the envelope once and shares the buffer
 * ({@link Router#deliverEncoded}); it is released here after the last recipient.
 *
 * <p>Thread-safe and non-blocking: safe to call from an event loop.
 */
final class PushService {

    /** {@code to} of an envelope pushed to several recipients at once: they all get the same bytes. */
    static final String TO_MANY = "*";

    /** The outcome of one push, per recipient. */
    record PushResult(String msgId, int delivered, int held, int unknown, int dropped) {}

    /** A user as the API shows it. */
    record UserView(String userId, boolean online, String role, Long connectedAt, List<String> pairedWith,
                    int held) {}

    private final SessionRegistry registry;
    private final MatchService matches;
    private final OfflineStore offline;
    private final Router router;
    private final Envelopes envelopes;
    private final EnvelopeJson json;
    private final GatewayMetrics metrics;

    PushService(SessionRegistry registry, MatchService matches, OfflineStore offline, Router router,
                Envelopes envelopes, EnvelopeJson json, GatewayMetrics metrics) {
        this.registry = registry;
        this.matches = matches;
        this.offline = offline;
        this.router = router;
        this.envelopes = envelopes;
        this.json = json;
        this.metrics = metrics;
    }

    /**
     * Pushes to one user. A user the gateway does not know (not connected, not paired, nothing held) is counted
     * {@code unknown} and gets nothing, so that typos cannot fill the offline hold.
     */
    PushResult pushToUser(String userId, String type, String from, String msgId, String msg) {
        final Envelope envelope = envelopes.push(type, msgId, from, userId, msg);
        final int[] n = new int[4];
        count(n, isKnown(userId) ? router.deliver(userId, envelope) : null);
        return result(envelope.msgId(), n);
    }

    /** Pushes one envelope ({@code to} = {@value #TO_MANY}) to each of {@code userIds}, encoded once. */
    PushResult pushToMany(List<String> userIds, String type, String from, String msgId, String msg,
                          ByteBufAllocator alloc) {
        final Envelope envelope = envelopes.push(type, msgId, from, TO_MANY, msg);
        final int[] n = new int[4];
        final ByteBuf encoded = encode(envelope, alloc);
        try {
            for (String userId : userIds) {
                count(n, isKnown(userId) ? router.deliverEncoded(userId, envelope, encoded) : null);
            }
        } finally {
            encoded.release();
        }
        return result(envelope.msgId(), n);
    }

    /** Pushes to every connected session of {@code role}. */
    PushResult pushToRole(Role role, String type, String from, String msgId, String msg, ByteBufAllocator alloc) {
        final List<String> userIds = new ArrayList<>();
        registry.forEach(s -> {
            if (s.role() == role) {
                userIds.add(s.userId());
            }
        });
        return pushToMany(userIds, type, from, msgId, msg, alloc);
    }

    private ByteBuf encode(Envelope envelope, ByteBufAllocator alloc) {
        final ByteBuf buf = alloc.buffer(256);
        boolean ok = false;
        try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
            json.write(envelope, out);
            ok = true;
            return buf;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (!ok) {
                buf.release();
            }
        }
    }

    private boolean isKnown(String userId) {
        return registry.find(userId) != null || matches.agentOf(userId) != null || !matches.usersOf(userId).isEmpty()
               || offline.hasPending(userId);
    }

    private static void count(int[] n, Router.Delivery delivery) {
        if (delivery == null) {
            n[2]++;
        } else {
            switch (delivery) {
                case LIVE -> n[0]++;
                case HELD -> n[1]++;
                default -> n[3]++;
            }
        }
    }

    private PushResult result(String msgId, int[] n) {
        metrics.pushed(n[0], n[1], n[2]);
        return new PushResult(msgId, n[0], n[1], n[2], n[3]);
    }

    /** The user's connection and pairing. */
    UserView user(String userId) {
        final Session s = registry.find(userId);
        final List<String> peers = new ArrayList<>();
        final String agent = matches.agentOf(userId);
        if (agent != null) {
            peers.add(agent);
        }
        peers.addAll(matches.usersOf(userId));
        return new UserView(userId, s != null, s == null ? null : s.role().wireName(),
                            s == null ? null : s.connectedAtMillis(), peers, offline.size(userId));
    }

    /** Closes the user's connection with 4003; {@code false} if it has none. */
    boolean disconnect(String userId) {
        final Session s = registry.find(userId);
        if (s == null) {
            return false;
        }
        s.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.KICKED, "disconnected by server"))
         .addListener(ChannelFutureListener.CLOSE);
        return true;
    }
}
