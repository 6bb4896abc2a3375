package io.switchboard.gateway.chat;

import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.netty.CloseCodes;
import io.switchboard.protocol.validate.EnvelopeValidator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of {@code PROTOCOL.md} §3 for one gateway: what each client message does and what its sender gets back,
 * and what connects and disconnects do to pairings. Handlers call it; it calls the registry, the match service and
 * the router.
 *
 * <p>Reconnect grace: when the last connection of a paired userId closes, its pairings survive for
 * {@code reconnectGrace}. If it reconnects in time nothing changes; otherwise its peers get {@code leave}. The timer
 * runs on the closed channel's event loop and is cancelled by the reconnect.
 *
 * <p>Thread-safe and non-blocking: every method is safe to call from an event loop; those that take a session must be
 * called on that session's loop.
 */
public final class ChatService {

    private static final Logger logger = LoggerFactory.getLogger(ChatService.class);

    private final SessionRegistry registry;
    private final MatchService matches;
    private final Router router;
    private final OfflineStore offline;
    private final Envelopes envelopes;
    private final EnvelopeValidator validator;
    private final GatewayMetrics metrics;
    private final long graceNanos;
    private final ChatEvents events;
    private final ConcurrentHashMap<String, ScheduledFuture<?>> graceTimers = new ConcurrentHashMap<>();

    public ChatService(SessionRegistry registry, MatchService matches, Router router, OfflineStore offline,
                       Envelopes envelopes, EnvelopeValidator validator, GatewayMetrics metrics,
                       Duration reconnectGrace) {
        this(registry, matches, router, offline, envelopes, validator, metrics, reconnectGrace, ChatEvents.NONE);
    }

    /**
     * @param events told about connects, disconnects, pairings and messages (webhooks); must not block
     */
    public ChatService(SessionRegistry registry, MatchService matches, Router router, OfflineStore offline,
                       Envelopes envelopes, EnvelopeValidator validator, GatewayMetrics metrics,
                       Duration reconnectGrace, ChatEvents events) {
        this.events = events;
        this.registry = registry;
        this.matches = matches;
        this.router = router;
        this.offline = offline;
        this.envelopes = envelopes;
        this.validator = validator;
        this.metrics = metrics;
        this.graceNanos = reconnectGrace.toNanos();
    }

    /**
     * Registers a freshly upgraded session: replaces (4001) an older one of the same userId, keeps the pairings of a
     * reconnect within the grace period, makes an agent available, and delivers what was held for the user. Must run
     * on the session's loop.
     */
    public void connected(Session session) {
        assert session.channel().eventLoop().inEventLoop();
        final Session displaced = registry.register(session);
        session.channel().closeFuture().addListener(f -> disconnected(session));
        metrics.connectionOpened(session.role());
        events.connected(session.userId(), session.role(), session.connectionId(), session.connectedAtMillis());
        if (displaced != null) {
            metrics.sessionReplaced();
            logger.debug("{} replaced by {}", displaced.channel(), session.channel());
            displaced.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.REPLACED, "replaced"))
                     .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
        final ScheduledFuture<?> grace = graceTimers.remove(session.userId());
        if (grace != null) {
            grace.cancel(false);
        }
        if (session.role() == Role.AGENT) {
            matches.agentOnline(session.userId());
        }
        offline.drainTo(session);
    }

    private void disconnected(Session session) {
        metrics.connectionClosed(session.role());
        final Session.CloseStatus close = session.closeStatus();
        events.disconnected(session.userId(), session.role(), session.connectionId(),
                            close == null ? -1 : close.code(), close == null ? null : close.reason(),
                            close != null && close.byServer());
        if (!registry.unregister(session)) {
            return; // replaced: the newer session carries on
        }
        final String userId = session.userId();
        final boolean paired;
        if (session.role() == Role.AGENT) {
            matches.agentOffline(userId);
            paired = !matches.usersOf(userId).isEmpty();
        } else {
            paired = matches.agentOf(userId) != null;
        }
        if (!paired) {
            return;
        }
        if (graceNanos == 0) {
            expire(userId, session.role());
            return;
        }
        // The timer removes only its own entry: a newer disconnect's timer must keep its full grace period.
        // It runs on this loop, so it cannot fire before `self` is set below.
        final ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
        self[0] = session.channel().eventLoop().schedule(
                () -> {
                    if (graceTimers.remove(userId, self[0])) {
                        expire(userId, session.role());
                    }
                }, graceNanos, TimeUnit.NANOSECONDS);
        final ScheduledFuture<?> previous = graceTimers.put(userId, self[0]);
        if (previous != null) {
            previous.cancel(false);
        }
    }

    /** The grace period of a disconnected userId ran out: end its pairings and tell its peers. */
    private void expire(String userId, Role role) {
        if (registry.find(userId) != null) {
            return; // it came back just in time
        }
        if (role == Role.AGENT) {
            final List<String> users = matches.releaseAgent(userId);
            for (String user : users) {
                metrics.pairingEnded();
                events.left(user, userId, userId, true);
                router.deliver(user, envelopes.leave(null, user, userId));
            }
        } else {
            final String agent = matches.agentOf(userId);
            if (agent != null && matches.unpair(userId, agent)) {
                metrics.pairingEnded();
                events.left(userId, agent, userId, true);
                router.deliver(agent, envelopes.leave(null, agent, userId));
            }
        }
    }

    /** {@code match}: completes with the answer to the sender; the agent of a new pairing is told too. */
    public CompletionStage<Envelope> match(Session session, Envelope request) {
        final String msgId = request.msgId();
        final String me = session.userId();
        if (session.role() != Role.USER) {
            return completed(fail(MessageType.MATCH, msgId, me, Failure.NOT_A_USER));
        }
        return matches.match(me).thenApply(result -> {
            if (!result.found()) {
                return fail(MessageType.MATCH, msgId, me, Failure.NO_AGENT);
            }
            if (result.isNew()) {
                metrics.matched();
                events.matched(me, result.agentId());
                router.deliver(result.agentId(), envelopes.matched(null, result.agentId(), me));
            }
            return envelopes.matched(msgId, me, result.agentId());
        });
    }

    /** {@code normal}: routes to the paired peer; returns the receipt for the sender. */
    public Envelope normal(Session session, Envelope request) {
        final String me = session.userId();
        final Failure invalid = validator.checkNormal(request);
        if (invalid != null) {
            return fail(MessageType.RECEIPT, request.msgId(), me, invalid);
        }
        final String to = request.to();
        if (Envelopes.SYSTEM.equals(to) && events.handlesSystemMessages()) {
            // A backend implements what the gateway does not (bots, tickets): hand the message off and confirm.
            final String msgId = envelopes.msgIdOr(request.msgId());
            events.systemMessage(me, session.role(), msgId, request.msg());
            return envelopes.receipt(msgId, me, Envelopes.PUSH_SUCCESS);
        }
        if (!isPaired(session, to)) {
            return fail(MessageType.RECEIPT, request.msgId(), me, Failure.NOT_PAIRED);
        }
        // One id for the delivery and the receipt, so both sides can correlate even when the client gave none.
        final String msgId = envelopes.msgIdOr(request.msgId());
        final Envelope delivered = envelopes.delivery(msgId, me, to, request.msg());
        final Router.Delivery delivery = router.deliver(to, delivered);
        if (delivery != Router.Delivery.DROPPED) {
            events.messageRouted(delivered, delivery);
        }
        return receipt(msgId, me, delivery);
    }

    /** {@code leave}: ends the pairing with {@code to} (a user may omit it) and tells the peer. */
    public Envelope leave(Session session, Envelope request) {
        final String me = session.userId();
        String peer = request.to();
        final String user;
        final String agent;
        if (session.role() == Role.USER) {
            final String mine = matches.agentOf(me);
            if (peer == null || peer.isEmpty()) {
                peer = mine;
            }
            user = me;
            agent = peer;
        } else {
            user = peer;
            agent = me;
        }
        if (user == null || agent == null || !matches.unpair(user, agent)) {
            return fail(MessageType.RECEIPT, request.msgId(), me, Failure.NOT_PAIRED);
        }
        metrics.pairingEnded();
        events.left(user, agent, me, false);
        final String msgId = envelopes.msgIdOr(request.msgId());
        final Router.Delivery delivery = router.deliver(peer, envelopes.leave(msgId, peer, me));
        return receipt(msgId, me, delivery);
    }

    /** {@code ping}: the pong. */
    public Envelope ping(Session session, Envelope request) {
        return envelopes.pong(request.msgId(), session.userId());
    }

    /** The answer to a message of {@code type} refused by the rate limiter. */
    public Envelope rateLimited(Session session, MessageType type, Envelope request) {
        final MessageType answer = switch (type) {
            case MATCH -> MessageType.MATCH;
            case PING -> MessageType.PONG;
            default -> MessageType.RECEIPT;
        };
        return fail(answer, request.msgId(), session.userId(), Failure.RATE_LIMITED);
    }

    /** The {@code error} answer to malformed input. */
    public Envelope badMessage(String msgId, String to) {
        metrics.failure(Failure.BAD_MESSAGE);
        return envelopes.badMessage(msgId, to);
    }

    /** Whether {@code session}'s user may send a {@code normal} to {@code to}. Lock-free. */
    private boolean isPaired(Session session, String to) {
        if (session.role() == Role.USER) {
            return to.equals(matches.agentOf(session.userId()));
        }
        return session.userId().equals(matches.agentOf(to));
    }

    private Envelope receipt(String msgId, String me, Router.Delivery delivery) {
        switch (delivery) {
            case LIVE:
                metrics.messageRouted();
                return envelopes.receipt(msgId, me, Envelopes.PUSH_SUCCESS);
            case HELD:
                metrics.messageHeld();
                return envelopes.receipt(msgId, me, Envelopes.STORED_OFFLINE);
            default:
                return fail(MessageType.RECEIPT, msgId, me, Failure.UNAVAILABLE);
        }
    }

    private Envelope fail(MessageType type, String msgId, String to, Failure failure) {
        metrics.failure(failure);
        return envelopes.failure(type, msgId, to, failure);
    }

    private static <T> CompletionStage<T> completed(T value) {
        return java.util.concurrent.CompletableFuture.completedFuture(value);
    }

    /** Pending reconnect-grace timers (for stats and tests). */
    public int graceTimers() {
        return graceTimers.size();
    }
}
