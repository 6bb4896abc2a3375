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
import java.util.concurrent.CompletableFuture;
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
 * <p>Matching, pairing checks and routing return {@link CompletionStage}s: on one gateway they are already complete
 * (and the fast paths below skip the continuation machinery), in a cluster they complete when the shared store or
 * the node holding the peer answers. Answers are written by the caller on the session's loop.
 *
 * <p>Thread-safe and non-blocking: every method is safe to call from an event loop; those that take a session must be
 * called on that session's loop.
 */
public final class ChatService {

    private static final Logger logger = LoggerFactory.getLogger(ChatService.class);
    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

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
        // Before the agent joins the pool: a cluster router publishes the presence the pool relies on.
        router.attached(session);
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
        router.detached(session);
        final String userId = session.userId();
        final CompletionStage<Boolean> paired;
        if (session.role() == Role.AGENT) {
            matches.agentOffline(userId);
            paired = matches.usersOf(userId).thenApply(users -> !users.isEmpty());
        } else {
            paired = matches.agentOf(userId).thenApply(agent -> agent != null);
        }
        final Boolean pairedNow = valueIfDone(paired);
        if (pairedNow != null) {
            afterDisconnect(session, pairedNow);
        } else {
            paired.whenCompleteAsync((p, error) -> {
                if (error != null) {
                    // Unknown: run the grace period anyway; its expiry asks again.
                    logger.debug("{} pairing lookup failed on disconnect: {}", session.channel(), error.toString());
                }
                afterDisconnect(session, error != null || p);
            }, session.channel().eventLoop());
        }
    }

    private void afterDisconnect(Session session, boolean paired) {
        if (!paired) {
            return;
        }
        final String userId = session.userId();
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
        router.connectedElsewhere(userId)
              .thenCompose(elsewhere -> elsewhere ? DONE : release(userId, role))
              .whenComplete((ignored, error) -> {
                  if (error != null) {
                      logger.warn("Could not end the pairings of userId={} after its grace period: {}", userId,
                                  error.toString());
                  }
              });
    }

    /**
     * Ends every pairing of {@code userId}, which is gone for good (its grace period ran out, or the cluster node
     * holding it died), and tells its peers with {@code leave}.
     */
    public CompletionStage<Void> release(String userId, Role role) {
        if (role == Role.AGENT) {
            return matches.releaseAgent(userId).thenAccept(users -> {
                for (String user : users) {
                    metrics.pairingEnded();
                    events.left(user, userId, userId, true);
                    router.deliver(user, envelopes.leave(null, user, userId));
                }
            });
        }
        return matches.agentOf(userId).thenCompose(agent -> {
            if (agent == null) {
                return DONE;
            }
            return matches.unpair(userId, agent).thenAccept(ended -> {
                if (ended) {
                    metrics.pairingEnded();
                    events.left(userId, agent, userId, true);
                    router.deliver(agent, envelopes.leave(null, agent, userId));
                }
            });
        });
    }

    /**
     * {@code match}: completes with the answer to the sender; the agent of a new pairing is told too. When the match
     * service cannot answer (its store is down) the answer is {@code UNAVAILABLE}.
     */
    public CompletionStage<Envelope> match(Session session, Envelope request) {
        final String msgId = request.msgId();
        final String me = session.userId();
        if (session.role() != Role.USER) {
            return completed(fail(MessageType.MATCH, msgId, me, Failure.NOT_A_USER));
        }
        return matches.match(me).handle((result, error) -> {
            if (error != null) {
                logger.debug("{} match failed: {}", session.channel(), error.toString());
                return fail(MessageType.MATCH, msgId, me, Failure.UNAVAILABLE);
            }
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

    /**
     * Where the answer to a {@code normal} goes when it is not known at once (a cluster answer waits for Redis or
     * for the node holding the peer). Called synchronously, before {@link #normal(Session, Envelope, Pending)}
     * returns {@code null}; the implementation continues on the session's loop.
     */
    @FunctionalInterface
    public interface Pending {
        void later(CompletionStage<Envelope> answer);
    }

    /**
     * {@code normal}: routes to the paired peer; completes with the receipt for the sender. On one gateway every stage
     * involved is already complete, so the receipt is too.
     */
    public CompletionStage<Envelope> normal(Session session, Envelope request) {
        final Object[] pending = new Object[1];
        final Envelope now = normal(session, request, answer -> pending[0] = answer);
        if (now != null) {
            return completed(now);
        }
        @SuppressWarnings("unchecked")
        final CompletionStage<Envelope> later = (CompletionStage<Envelope>) pending[0];
        return later;
    }

    /**
     * The hot path of {@code normal}, allocation-free on one gateway: returns the receipt when it is known at once
     * (every single-node answer); otherwise hands its stage to {@code pending} and returns {@code null}.
     */
    public Envelope normal(Session session, Envelope request, Pending pending) {
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
        final CompletionStage<Boolean> paired = session.role() == Role.USER
                                                ? matches.isPaired(me, to) : matches.isPaired(to, me);
        final Boolean pairedNow = valueIfDone(paired);
        if (pairedNow != null) {
            return routeNormal(me, request, pairedNow, pending);
        }
        pending.later(paired.thenCompose(p -> {
                                final Object[] inner = new Object[1];
                                final Envelope answer = routeNormal(me, request, p, later -> inner[0] = later);
                                @SuppressWarnings("unchecked")
                                final CompletionStage<Envelope> stage = answer != null
                                        ? completed(answer) : (CompletionStage<Envelope>) inner[0];
                                return stage;
                            })
                            .exceptionally(error -> unavailable(request.msgId(), me, error)));
        return null;
    }

    private Envelope routeNormal(String me, Envelope request, boolean paired, Pending pending) {
        if (!paired) {
            return fail(MessageType.RECEIPT, request.msgId(), me, Failure.NOT_PAIRED);
        }
        // One id for the delivery and the receipt, so both sides can correlate even when the client gave none.
        final String msgId = envelopes.msgIdOr(request.msgId());
        final String to = request.to();
        final Envelope delivered = envelopes.delivery(msgId, me, to, request.msg());
        final CompletionStage<Router.Delivery> delivery = router.deliver(to, delivered);
        final Router.Delivery now = valueIfDone(delivery);
        if (now != null) {
            return routed(msgId, me, delivered, now);
        }
        pending.later(delivery.handle((d, error) -> error != null ? unavailable(msgId, me, error)
                                                                  : routed(msgId, me, delivered, d)));
        return null;
    }

    /** The receipt of a routed {@code normal}, after telling the event hook what became of it. */
    private Envelope routed(String msgId, String me, Envelope delivered, Router.Delivery delivery) {
        if (delivery != Router.Delivery.DROPPED) {
            events.messageRouted(delivered, delivery);
        }
        return receipt(msgId, me, delivery);
    }

    /** {@code leave}: ends the pairing with {@code to} (a user may omit it) and tells the peer. */
    public CompletionStage<Envelope> leave(Session session, Envelope request) {
        final String me = session.userId();
        final String to = request.to();
        final CompletionStage<String> peer;
        if (session.role() == Role.USER && (to == null || to.isEmpty())) {
            peer = matches.agentOf(me);
        } else {
            peer = completed(to);
        }
        return peer.thenCompose(p -> {
            if (p == null || p.isEmpty()) {
                return completed(fail(MessageType.RECEIPT, request.msgId(), me, Failure.NOT_PAIRED));
            }
            final String user = session.role() == Role.USER ? me : p;
            final String agent = session.role() == Role.USER ? p : me;
            return matches.unpair(user, agent).thenCompose(ended -> {
                if (!ended) {
                    return completed(fail(MessageType.RECEIPT, request.msgId(), me, Failure.NOT_PAIRED));
                }
                metrics.pairingEnded();
                events.left(user, agent, me, false);
                final String msgId = envelopes.msgIdOr(request.msgId());
                return receiptWhenDelivered(msgId, me, router.deliver(p, envelopes.leave(msgId, p, me)));
            });
        }).exceptionally(error -> unavailable(request.msgId(), me, error));
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

    private CompletionStage<Envelope> receiptWhenDelivered(String msgId, String me,
                                                           CompletionStage<Router.Delivery> delivery) {
        final Router.Delivery now = valueIfDone(delivery);
        if (now != null) {
            return completed(receipt(msgId, me, now));
        }
        return delivery.handle((d, error) -> error != null ? unavailable(msgId, me, error) : receipt(msgId, me, d));
    }

    private Envelope unavailable(String msgId, String me, Throwable error) {
        logger.debug("userId={} request failed: {}", me, error.toString());
        return fail(MessageType.RECEIPT, msgId, me, Failure.UNAVAILABLE);
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
        return CompletableFuture.completedFuture(value);
    }

    /**
     * The value of a stage that already completed normally, else {@code null}: lets the single-node path skip the
     * continuation machinery. Never waits.
     */
    private static <T> T valueIfDone(CompletionStage<T> stage) {
        if (stage instanceof CompletableFuture<T> f && f.isDone() && !f.isCompletedExceptionally()) {
            return f.getNow(null);
        }
        return null;
    }

    /** Pending reconnect-grace timers (for stats and tests). */
    public int graceTimers() {
        return graceTimers.size();
    }
}
