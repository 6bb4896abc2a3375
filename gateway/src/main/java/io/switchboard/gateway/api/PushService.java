package io.switchboard.gateway.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.chat.MatchService;
import io.switchboard.gateway.chat.MemoryHold;
import io.switchboard.gateway.chat.Presence;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.chat.Stages;
import io.switchboard.gateway.chat.Waiting;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the API does, apart from HTTP: pushes through the {@link Router} (so an offline recipient's message is held),
 * looks users up, disconnects them. A push to several recipients encodes the envelope once and shares the buffer
 * ({@link Router#deliverEncoded}); it is released here after the last recipient. Every push completes a stage: at
 * once on one gateway, when Redis or another node answers in a cluster; the API handler answers on its loop then.
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
                    int held, String status, Integer queuePosition) {}

    /** The waiting queue as {@code GET /api/v1/queue} shows it. */
    record QueueView(int length, long longestWaitMs, List<WaitingView> waiting) {}

    /** One waiting user. */
    record WaitingView(String userId, int position, long waitingMs) {}

    private static final CompletionStage<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    /** The outcome of a push to an unknown user. */
    private static final CompletionStage<Router.Delivery> UNKNOWN = CompletableFuture.completedFuture(null);

    private final SessionRegistry registry;
    private final MatchService matches;
    private final MemoryHold offline;
    private final Router router;
    private final Presence presence;
    private final Envelopes envelopes;
    private final EnvelopeJson json;
    private final GatewayMetrics metrics;

    PushService(SessionRegistry registry, MatchService matches, MemoryHold offline, Router router, Presence presence,
                Envelopes envelopes, EnvelopeJson json, GatewayMetrics metrics) {
        this.registry = registry;
        this.matches = matches;
        this.offline = offline;
        this.router = router;
        this.presence = presence;
        this.envelopes = envelopes;
        this.json = json;
        this.metrics = metrics;
    }

    /**
     * Pushes to one user. A user the gateway does not know (not connected, not paired, nothing held) is counted
     * {@code unknown} and gets nothing, so that typos cannot fill the offline hold. Completes when the outcome is
     * known: at once on one gateway, when Redis or the recipient's node answers in a cluster.
     */
    CompletionStage<PushResult> pushToUser(String userId, String type, String from, String msgId, String msg) {
        final Envelope envelope = envelopes.push(type, msgId, from, userId, msg);
        final List<CompletionStage<Router.Delivery>> outcomes = new ArrayList<>(1);
        outcomes.add(deliver(userId, envelope, null));
        return result(envelope.msgId(), outcomes);
    }

    /**
     * Pushes one envelope ({@code to} = {@value #TO_MANY}) to each of {@code userIds}, encoded once: every recipient
     * the router can write to at once shares the buffer (a retained duplicate each); one whose fate is decided later
     * (a cluster look-up) gets the envelope. The buffer is released here, before the outcomes are all known.
     */
    CompletionStage<PushResult> pushToMany(List<String> userIds, String type, String from, String msgId, String msg,
                                           ByteBufAllocator alloc) {
        final Envelope envelope = envelopes.push(type, msgId, from, TO_MANY, msg);
        final List<CompletionStage<Router.Delivery>> outcomes = new ArrayList<>(userIds.size());
        final ByteBuf encoded = encode(envelope, alloc);
        try {
            for (String userId : userIds) {
                outcomes.add(deliver(userId, envelope, encoded));
            }
        } finally {
            encoded.release();
        }
        return result(envelope.msgId(), outcomes);
    }

    /** Pushes to every connected session of {@code role}. */
    CompletionStage<PushResult> pushToRole(Role role, String type, String from, String msgId, String msg,
                                           ByteBufAllocator alloc) {
        final List<String> userIds = new ArrayList<>();
        registry.forEach(s -> {
            if (s.role() == role) {
                userIds.add(s.userId());
            }
        });
        return pushToMany(userIds, type, from, msgId, msg, alloc);
    }

    /**
     * Delivers to a known user; completes with {@code null} for an unknown one, and with {@code DROPPED} when the
     * cluster could not answer. {@code encoded} (may be {@code null}) is only used before this method returns.
     */
    private CompletionStage<Router.Delivery> deliver(String userId, Envelope envelope, ByteBuf encoded) {
        final CompletionStage<Boolean> known = isKnown(userId);
        final Boolean knownNow = Stages.valueIfDone(known);
        if (knownNow != null) {
            if (!knownNow) {
                return UNKNOWN;
            }
            return orDropped(encoded != null ? router.deliverEncoded(userId, envelope, encoded)
                                             : router.deliver(userId, envelope));
        }
        // Decided later: the buffer is gone by then, the router encodes the envelope itself.
        return orDropped(known.thenCompose(k -> k ? router.deliver(userId, envelope) : UNKNOWN));
    }

    private static CompletionStage<Router.Delivery> orDropped(CompletionStage<Router.Delivery> delivery) {
        if (Stages.valueIfDone(delivery) != null) {
            return delivery;
        }
        return delivery.exceptionally(error -> Router.Delivery.DROPPED);
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

    /** Connected (here or, in a cluster, on another node), paired, or with messages held here. */
    private CompletionStage<Boolean> isKnown(String userId) {
        if (registry.find(userId) != null || offline.has(userId)) {
            return TRUE;
        }
        return matches.agentOf(userId).thenCompose(
                agent -> agent != null ? TRUE : matches.usersOf(userId).thenCompose(
                        users -> !users.isEmpty() ? TRUE : presence.connectedElsewhere(userId)));
    }

    private CompletionStage<PushResult> result(String msgId, List<CompletionStage<Router.Delivery>> outcomes) {
        boolean allDone = true;
        for (CompletionStage<Router.Delivery> o : outcomes) {
            if (!Stages.isDone(o)) {
                allDone = false;
                break;
            }
        }
        if (allDone) {
            return CompletableFuture.completedFuture(count(msgId, outcomes));
        }
        final CompletableFuture<?>[] all = new CompletableFuture<?>[outcomes.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = outcomes.get(i).toCompletableFuture();
        }
        return CompletableFuture.allOf(all).handle((ignored, error) -> count(msgId, outcomes));
    }

    /** Counts completed outcomes: {@code null} is an unknown user, a failure a drop. */
    private PushResult count(String msgId, List<CompletionStage<Router.Delivery>> outcomes) {
        final int[] n = new int[4];
        for (CompletionStage<Router.Delivery> o : outcomes) {
            final CompletableFuture<Router.Delivery> f = o.toCompletableFuture();
            final Router.Delivery delivery = f.isCompletedExceptionally() ? Router.Delivery.DROPPED : f.getNow(null);
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
        metrics.pushed(n[0], n[1], n[2], n[3]);
        return new PushResult(msgId, n[0], n[1], n[2], n[3]);
    }

    /** The user's connection and pairing. */
    CompletionStage<UserView> user(String userId) {
        final Session s = registry.find(userId);
        final CompletionStage<Boolean> online = s != null ? TRUE : presence.connectedElsewhere(userId);
        final CompletionStage<String> status = matches.agentStatus(userId);
        final CompletionStage<Integer> position = matches.queuePosition(userId);
        return matches.agentOf(userId).thenCompose(agent -> matches.usersOf(userId).thenCombine(online, (users, on) -> {
            final List<String> peers = new ArrayList<>();
            if (agent != null) {
                peers.add(agent);
            }
            peers.addAll(users);
            return new UserView(userId, on, s == null ? null : s.role().wireName(),
                                s == null ? null : s.connectedAtMillis(), peers, offline.size(userId), null, null);
        })).thenCombine(status, (view, st) -> withStatus(view, st))
           .thenCombine(position, (view, p) -> p > 0 ? withPosition(view, p) : view);
    }

    private static UserView withStatus(UserView v, String status) {
        return new UserView(v.userId(), v.online(), v.role(), v.connectedAt(), v.pairedWith(), v.held(), status,
                            v.queuePosition());
    }

    private static UserView withPosition(UserView v, int position) {
        return new UserView(v.userId(), v.online(), v.role(), v.connectedAt(), v.pairedWith(), v.held(), v.status(),
                            position);
    }

    /** The waiting queue, head first, with how long each user has waited. */
    CompletionStage<QueueView> queue(long nowMillis) {
        return matches.waiting().thenApply(list -> {
            final List<WaitingView> views = new ArrayList<>(list.size());
            long longest = 0;
            for (Waiting w : list) {
                final long waited = Math.max(0, nowMillis - w.sinceMillis());
                longest = Math.max(longest, waited);
                views.add(new WaitingView(w.userId(), w.position(), waited));
            }
            return new QueueView(list.size(), longest, views);
        });
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
