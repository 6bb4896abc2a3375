package io.switchboard.gateway.chat;

import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.validate.EnvelopeValidator;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of {@code PROTOCOL.md} §3 for each client message: what {@code match}, {@code normal}, {@code leave} and
 * {@code ping} do and what their sender gets back, and the answers to malformed and rate-limited messages. Client
 * messages are validated here, once ({@link #classify}, then the per-type checks).
 *
 * <p>Every answer is a {@link CompletionStage}: on one gateway it is already complete (callers take it at once with
 * {@link Stages#valueIfDone}); in a cluster it completes when Redis or the node holding the peer answers. Answers are
 * written by the caller on the session's loop.
 *
 * <p>Thread-safe and non-blocking: every method is safe to call from an event loop.
 */
public final class ChatRules {

    private static final Logger logger = LoggerFactory.getLogger(ChatRules.class);
    /** {@code match}'s {@code msg} asking to wait when no agent can take the user (§6). */
    static final String QUEUE = "queue";
    static final String AVAILABLE = "available";
    static final String AWAY = "away";
    static final int DEFAULT_HISTORY = 20;
    static final int MAX_HISTORY = 100;

    private final MatchService matches;
    private final Router router;
    private final Envelopes envelopes;
    private final EnvelopeValidator validator;
    private final GatewayMetrics metrics;
    private final ChatEvents events;
    private final Acknowledgements acks;
    private final Resends resends;
    private final History history;

    /**
     * @param events told about pairings and routed messages (webhooks); must not block
     */
    public ChatRules(MatchService matches, Router router, Envelopes envelopes, EnvelopeValidator validator,
                     GatewayMetrics metrics, ChatEvents events) {
        this(matches, router, envelopes, validator, metrics, events, null, null);
    }

    /**
     * @param events  told about pairings and routed messages (webhooks); must not block
     * @param acks    the acknowledging connections' deliveries ({@code PROTOCOL.md} §5), or {@code null} where no
     *                connection acknowledges
     * @param resends the receipts remembered against resends of acknowledging senders, or {@code null}
     */
    public ChatRules(MatchService matches, Router router, Envelopes envelopes, EnvelopeValidator validator,
                     GatewayMetrics metrics, ChatEvents events, Acknowledgements acks, Resends resends) {
        this(matches, router, envelopes, validator, metrics, events, acks, resends, History.NONE);
    }

    /**
     * @param history the conversation histories ({@code PROTOCOL.md} §6), told of every routed {@code normal}
     */
    public ChatRules(MatchService matches, Router router, Envelopes envelopes, EnvelopeValidator validator,
                     GatewayMetrics metrics, ChatEvents events, Acknowledgements acks, Resends resends,
                     History history) {
        this.history = history;
        this.acks = acks;
        this.resends = resends;
        this.matches = matches;
        this.router = router;
        this.envelopes = envelopes;
        this.validator = validator;
        this.metrics = metrics;
        this.events = events;
    }

    /** The type of a client message, or {@code null} if it is malformed (answer it with {@link #badMessage}). */
    public MessageType classify(Envelope envelope) {
        return envelope == null ? null : validator.clientType(envelope);
    }

    /**
     * The type of a message from {@code session}, or {@code null} if it is malformed for it: as {@link #classify},
     * and an {@code ack} only from an acknowledging connection (to any other it is an unknown type, as in version 1).
     */
    public MessageType classify(Session session, Envelope envelope) {
        final MessageType type = classify(envelope);
        return type == MessageType.ACK && !(session.ackMode() && acks != null) ? null : type;
    }

    /**
     * {@code ack}: acknowledges the session's deliveries up to its seq. {@code null} (no answer) when valid, else the
     * {@code error}/{@code BAD_MESSAGE} answer: not a number, or above the last seq sent to this connection.
     */
    public Envelope ack(Session session, Envelope request) {
        final long upTo = EnvelopeValidator.ackedSeq(request);
        if (upTo < 0 || acks == null || !acks.acknowledge(session, upTo)) {
            return badMessage(session, request);
        }
        return null;
    }

    /** The answer to a client message of {@code type} (as {@link #classify} gave it). */
    public CompletionStage<Envelope> answer(Session session, MessageType type, Envelope request) {
        return answer(session, type, request, null);
    }

    /**
     * Whether the answer to {@code type} changes pairings ({@code match}, {@code leave}, {@code status},
     * {@code transfer}), and so is handed to a sink in the order of the pairing notices (see {@link #answer(Session,
     * MessageType, Envelope, Consumer)}).
     */
    public static boolean isOrdered(MessageType type) {
        return type == MessageType.MATCH || type == MessageType.LEAVE || type == MessageType.STATUS
               || type == MessageType.TRANSFER;
    }

    /**
     * As {@link #answer(Session, MessageType, Envelope)}; for a request that {@link #isOrdered}, the answer is also
     * handed to {@code sink} exactly once, at its place among the notices of pairing changes (on the thread that
     * tells them): a sink that writes to the connection from there writes the answer after the notices of earlier
     * changes and before those of later ones. {@code null}: no sink.
     */
    public CompletionStage<Envelope> answer(Session session, MessageType type, Envelope request,
                                            Consumer<Envelope> sink) {
        return switch (type) {
            case NORMAL -> normal(session, request);
            case MATCH -> match(session, request, sink);
            case PING -> Stages.completed(ping(session, request));
            case LEAVE -> leave(session, request, sink);
            case ACK -> Stages.completed(ack(session, request));
            case STATUS -> status(session, request, sink);
            case TRANSFER -> transfer(session, request, sink);
            case TYPING -> typing(session, request);
            case READ -> read(session, request);
            case HISTORY -> history(session, request);
            default -> throw new IllegalArgumentException("not a client message type: " + type);
        };
    }

    /**
     * {@code match}: completes with the answer to the sender; the agent of a new pairing is told too. When the match
     * service cannot answer (its store is down) the answer is {@code UNAVAILABLE}.
     */
    public CompletionStage<Envelope> match(Session session, Envelope request) {
        return match(session, request, null);
    }

    private CompletionStage<Envelope> match(Session session, Envelope request, Consumer<Envelope> sink) {
        final String msgId = request.msgId();
        final String me = session.userId();
        if (session.role() != Role.USER) {
            return Stages.completed(to(sink, fail(MessageType.MATCH, msgId, me, Failure.NOT_A_USER)));
        }
        final boolean queue = QUEUE.equals(request.msg());
        final AtomicReference<Envelope> answered = new AtomicReference<>();
        return matches.match(me, queue, result -> {
            // In the notice order: the agent hears of the pairing before anything later about it, and the user's
            // answer (its place in the queue) comes before its position changes.
            if (result.isNew() && result.found()) {
                metrics.matched();
                events.matched(me, result.agentId());
                history.started(me);
                router.deliver(result.agentId(), envelopes.matched(null, result.agentId(), me));
            }
            answered.set(to(sink, matchAnswer(me, msgId, result)));
        }).handle((result, error) -> {
            if (error != null) {
                logger.debug("{} match failed: {}", session.channel(), error.toString());
                return to(sink, fail(MessageType.MATCH, msgId, me, Failure.UNAVAILABLE));
            }
            return answered.get();
        });
    }

    /** Hands {@code answer} to {@code sink}, if any; returns it. */
    private static Envelope to(Consumer<Envelope> sink, Envelope answer) {
        if (sink != null) {
            sink.accept(answer);
        }
        return answer;
    }

    private Envelope matchAnswer(String me, String msgId, MatchResult result) {
        if (result.isQueued()) {
            if (result.isNew()) {
                events.queued(me, result.position());
            }
            return envelopes.queued(msgId, me, result.position());
        }
        if (!result.found()) {
            return fail(MessageType.MATCH, msgId, me, result.position() < 0 ? Failure.QUEUE_FULL : Failure.NO_AGENT);
        }
        return envelopes.matched(msgId, me, result.agentId());
    }

    /**
     * {@code normal}: routes to the paired peer; completes with the receipt for the sender. On one gateway every
     * stage involved is already complete, so the receipt is too.
     */
    public CompletionStage<Envelope> normal(Session session, Envelope request) {
        if (session.ackMode() && resends != null && request.msgId() != null) {
            // PROTOCOL.md §5: a resend of a msgId this userId already sent gets the first receipt, and no delivery.
            final AtomicBoolean first = new AtomicBoolean();
            return resends.answer(session.userId(), request.msgId(), () -> {
                first.set(true);
                return send(session, request);
            }).handle((receipt, error) -> {
                if (!first.get()) {
                    metrics.resent();
                }
                return error != null ? unavailable(request.msgId(), session.userId(), error) : receipt;
            });
        }
        return send(session, request);
    }

    private CompletionStage<Envelope> send(Session session, Envelope request) {
        final String me = session.userId();
        final Failure invalid = validator.checkNormal(request);
        if (invalid != null) {
            return Stages.completed(fail(MessageType.RECEIPT, request.msgId(), me, invalid));
        }
        final String to = request.to();
        if (Envelopes.SYSTEM.equals(to) && events.handlesSystemMessages()) {
            // A backend implements what the gateway does not (bots, tickets): hand the message off and confirm.
            final String msgId = envelopes.msgIdOr(request.msgId());
            events.systemMessage(me, session.role(), msgId, request.msg());
            return Stages.completed(envelopes.receipt(msgId, me, Envelopes.PUSH_SUCCESS));
        }
        final CompletionStage<Boolean> paired = session.role() == Role.USER
                                                ? matches.isPaired(me, to) : matches.isPaired(to, me);
        final Boolean pairedNow = Stages.valueIfDone(paired);
        final String user = session.role() == Role.USER ? me : to;
        if (pairedNow != null) {
            return route(me, user, request, pairedNow);
        }
        return paired.thenCompose(p -> route(me, user, request, p))
                     .exceptionally(error -> unavailable(request.msgId(), me, error));
    }

    private CompletionStage<Envelope> route(String me, String user, Envelope request, boolean paired) {
        if (!paired) {
            return Stages.completed(fail(MessageType.RECEIPT, request.msgId(), me, Failure.NOT_PAIRED));
        }
        // One id for the delivery and the receipt, so both sides can correlate even when the client gave none.
        final String msgId = envelopes.msgIdOr(request.msgId());
        final Envelope delivered = envelopes.delivery(msgId, me, request.to(), request.msg());
        final CompletionStage<Router.Delivery> delivery = router.deliver(request.to(), delivered);
        final Router.Delivery now = Stages.valueIfDone(delivery);
        if (now != null) {
            return Stages.completed(routed(msgId, me, user, delivered, now));
        }
        return delivery.handle((d, error) -> error != null ? unavailable(msgId, me, error)
                                                           : routed(msgId, me, user, delivered, d));
    }

    /** The receipt of a routed {@code normal}, after telling the event hook and the history what became of it. */
    private Envelope routed(String msgId, String me, String user, Envelope delivered, Router.Delivery delivery) {
        if (delivery != Router.Delivery.DROPPED) {
            events.messageRouted(delivered, delivery);
            history.appended(user, delivered);
        }
        return receipt(msgId, me, delivery);
    }

    /**
     * {@code leave}: ends the pairing with {@code to} (a user may omit it) and tells the peer; a waiting user without
     * an agent leaves the queue instead ({@code receipt} {@code push success}).
     */
    public CompletionStage<Envelope> leave(Session session, Envelope request) {
        return leave(session, request, null);
    }

    private CompletionStage<Envelope> leave(Session session, Envelope request, Consumer<Envelope> sink) {
        final String me = session.userId();
        final String to = request.to();
        final boolean user = session.role() == Role.USER;
        final CompletionStage<String> peer;
        if (user && (to == null || to.isEmpty())) {
            peer = matches.agentOf(me);
        } else {
            peer = Stages.completed(to);
        }
        return peer.thenCompose(p -> {
            if (p == null || p.isEmpty()) {
                return user ? leaveQueue(session, request, sink)
                            : Stages.completed(to(sink, fail(MessageType.RECEIPT, request.msgId(), me,
                                                             Failure.NOT_PAIRED)));
            }
            return endPairing(session, request, user ? me : p, user ? p : me, p, sink);
        }).exceptionally(error -> to(sink, unavailable(request.msgId(), me, error)));
    }

    /** Ends the pairing of {@code userId} and {@code agent} at {@code session}'s request; tells {@code peer}. */
    private CompletionStage<Envelope> endPairing(Session session, Envelope request, String userId, String agent,
                                                 String peer, Consumer<Envelope> sink) {
        final String me = session.userId();
        final String msgId = envelopes.msgIdOr(request.msgId());
        final AtomicReference<CompletionStage<Envelope>> answer = new AtomicReference<>();
        return matches.unpair(userId, agent, () -> {
            // In the notice order: the peer's leave before any match its freed room leads to, and the leaver's
            // receipt right after it (once the peer's delivery is decided: at once, unless it acknowledges).
            metrics.pairingEnded();
            events.left(userId, agent, me, false);
            history.ended(userId);
            answer.set(router.deliver(peer, envelopes.leave(msgId, peer, me)).handle((d, error) -> {
                // The agent has room now: served after the answer being written.
                serveQueueLater(session);
                return to(sink, error != null ? unavailable(msgId, me, error) : receipt(msgId, me, d));
            }));
        }).thenCompose(ended -> ended ? answer.get()
                : Stages.completed(to(sink, fail(MessageType.RECEIPT, request.msgId(), me, Failure.NOT_PAIRED))));
    }

    /**
     * A user's {@code leave} without a peer: it leaves the queue; if it was matched from the queue a moment ago (its
     * {@code match} is on its way, and comes first), it leaves that conversation.
     */
    private CompletionStage<Envelope> leaveQueue(Session session, Envelope request, Consumer<Envelope> sink) {
        final String me = session.userId();
        final AtomicReference<Envelope> left = new AtomicReference<>();
        return matches.leaveQueue(me, waited -> {
            if (waited >= 0) {
                // In the notice order: after its last position, before those behind it move up.
                metrics.dequeued("left", waited);
                events.dequeued(me, "left", null, waited);
                left.set(to(sink, envelopes.receipt(request.msgId(), me, Envelopes.PUSH_SUCCESS)));
            }
        }).thenCompose(waited -> {
            if (waited >= 0) {
                return Stages.completed(left.get());
            }
            return matches.agentOf(me).thenCompose(agent -> agent == null
                    ? Stages.completed(to(sink, fail(MessageType.RECEIPT, request.msgId(), me, Failure.NOT_PAIRED)))
                    : endPairing(session, request, me, agent, agent, sink));
        });
    }

    /**
     * Serves the queue once the current task is done, so the answer being written now reaches its sender before
     * the notices of the matches the freed room makes.
     */
    private void serveQueueLater(Session session) {
        session.channel().eventLoop().execute(this::serveQueue);
    }

    /** Serves the queue now; failures are logged (the next change or the periodic expiry serves it again). */
    public void serveQueue() {
        Stages.debugOnFailure(matches.serveQueue(), logger, "serving the queue");
    }

    /** {@code status} (§6): an agent goes {@code away} (no new users) or {@code available}. */
    public CompletionStage<Envelope> status(Session session, Envelope request) {
        return status(session, request, null);
    }

    private CompletionStage<Envelope> status(Session session, Envelope request, Consumer<Envelope> sink) {
        final String me = session.userId();
        final String msgId = request.msgId();
        if (session.role() != Role.AGENT) {
            return Stages.completed(to(sink, fail(MessageType.STATUS, msgId, me, Failure.NOT_AN_AGENT)));
        }
        final String state = request.msg();
        final boolean available = AVAILABLE.equals(state);
        if (!available && !AWAY.equals(state)) {
            return Stages.completed(to(sink, fail(MessageType.STATUS, msgId, me, Failure.UNKNOWN_STATUS)));
        }
        final AtomicReference<Envelope> answered = new AtomicReference<>();
        return matches.setAvailable(me, available, () -> {
            events.statusChanged(me, state);
            if (available) {
                serveQueueLater(session);
            }
            answered.set(to(sink, envelopes.answer(MessageType.STATUS, msgId, me, state)));
        }).handle((done, error) -> {
            if (error != null || !done) {
                return to(sink, error != null ? unavailableAs(MessageType.STATUS, msgId, me, error)
                                              : fail(MessageType.STATUS, msgId, me, Failure.UNAVAILABLE));
            }
            return answered.get();
        });
    }

    /**
     * {@code transfer} (§6): moves the agent's user {@code to} to the agent in {@code msg} (empty: the least-loaded
     * other available one). The old agent gets {@code leave}, the new one and the user {@code match}.
     */
    public CompletionStage<Envelope> transfer(Session session, Envelope request) {
        return transfer(session, request, null);
    }

    private CompletionStage<Envelope> transfer(Session session, Envelope request, Consumer<Envelope> sink) {
        final String me = session.userId();
        final String msgId = request.msgId();
        if (session.role() != Role.AGENT) {
            return Stages.completed(to(sink, fail(MessageType.TRANSFER, msgId, me, Failure.NOT_AN_AGENT)));
        }
        final String user = request.to();
        if (user == null || user.isEmpty()) {
            return Stages.completed(to(sink, fail(MessageType.TRANSFER, msgId, me, Failure.NOT_PAIRED)));
        }
        final String target = request.msg() == null || request.msg().isEmpty() ? null : request.msg();
        final AtomicReference<Envelope> answered = new AtomicReference<>();
        return matches.transfer(user, me, target, t -> {
            // In the notice order, so nothing later about this user overtakes them; the answer after the notices.
            metrics.transferred();
            events.transferred(user, me, t.agentId());
            router.deliver(me, envelopes.leave(null, me, user));
            router.deliver(t.agentId(), envelopes.matched(null, t.agentId(), user));
            router.deliver(user, envelopes.matched(null, user, t.agentId()));
            serveQueueLater(session);
            answered.set(to(sink, envelopes.answer(MessageType.TRANSFER, msgId, me, t.agentId())));
        }).handle((t, error) -> {
            if (error != null) {
                return to(sink, unavailableAs(MessageType.TRANSFER, msgId, me, error));
            }
            if (!t.done()) {
                return to(sink, fail(MessageType.TRANSFER, msgId, me, t.failure()));
            }
            return answered.get();
        });
    }

    /** {@code typing} (§6): relayed live to the paired peer, never held; no answer unless not paired. */
    public CompletionStage<Envelope> typing(Session session, Envelope request) {
        return relay(session, request, MessageType.TYPING);
    }

    /**
     * {@code read} (§6): the reader has read up to the message {@code msg}; relayed to the peer, and while the peer
     * is offline only the newest per conversation is kept for it. No answer unless not paired or empty.
     */
    public CompletionStage<Envelope> read(Session session, Envelope request) {
        final String msg = request.msg();
        if (msg == null || msg.isEmpty() || msg.length() > EnvelopeValidator.MAX_MSG_ID_CHARS) {
            return Stages.completed(fail(MessageType.READ, request.msgId(), session.userId(), Failure.EMPTY_MSG));
        }
        return relay(session, request, MessageType.READ);
    }

    private CompletionStage<Envelope> relay(Session session, Envelope request, MessageType type) {
        final String me = session.userId();
        final boolean user = session.role() == Role.USER;
        final String to = request.to();
        final CompletionStage<String> peer = user && (to == null || to.isEmpty())
                                             ? matches.agentOf(me) : Stages.completed(to);
        return peer.thenCompose(p -> {
            if (p == null || p.isEmpty()) {
                return Stages.completed(false);
            }
            return user ? matches.isPaired(me, p) : matches.isPaired(p, me);
        }).thenCombine(peer, (paired, p) -> {
            if (!paired) {
                return fail(type, request.msgId(), me, Failure.NOT_PAIRED);
            }
            final Envelope notice = envelopes.relay(type, me, p, type == MessageType.READ ? request.msg() : "");
            if (type == MessageType.READ) {
                router.notifyOrKeep(p, "read|" + me, notice);
            } else {
                router.notify(p, notice);
            }
            return (Envelope) null;
        }).exceptionally(error -> unavailableAs(type, request.msgId(), me, error));
    }

    /**
     * {@code history} (§6): the last {@code msg} (1..100, default 20) messages of the user's conversation, each as a
     * {@code history} message written before the answer, a {@code receipt} whose {@code msg} is their count. An agent
     * names the user in {@code to} unless it has exactly one.
     */
    public CompletionStage<Envelope> history(Session session, Envelope request) {
        final String me = session.userId();
        final String msgId = request.msgId();
        final int n = historyCount(request.msg());
        if (n <= 0) {
            return Stages.completed(fail(MessageType.RECEIPT, msgId, me, Failure.BAD_MESSAGE));
        }
        final CompletionStage<String> user;
        if (session.role() == Role.USER) {
            user = Stages.completed(me);
        } else if (request.to() == null || request.to().isEmpty()) {
            user = matches.usersOf(me).thenApply(users -> users.size() == 1 ? users.get(0) : null);
        } else {
            final String to = request.to();
            user = matches.isPaired(to, me).thenApply(paired -> paired ? to : null);
        }
        return user.thenCompose(u -> {
            if (u == null) {
                return Stages.completed(fail(MessageType.RECEIPT, msgId, me, Failure.NOT_PAIRED));
            }
            // The entries are written on the connection's loop, so they are in its outbound buffer before the receipt
            // that the dispatch writes there after this stage; written from a store's thread, they could be queued
            // behind it.
            return history.last(u, n).thenApplyAsync(messages -> {
                final var channel = session.channel();
                for (Envelope m : messages) {
                    channel.write(envelopes.historyEntry(m), channel.voidPromise());
                }
                return envelopes.receipt(msgId, me, Integer.toString(messages.size()));
            }, session.channel().eventLoop());
        }).exceptionally(error -> unavailable(msgId, me, error));
    }

    /** The {@code n} of a {@code history} request: absent or empty is 20; 1..100; -1 if invalid. */
    static int historyCount(String msg) {
        if (msg == null || msg.isEmpty()) {
            return DEFAULT_HISTORY;
        }
        final long n = EnvelopeValidator.seq(msg);
        return n >= 1 && n <= MAX_HISTORY ? (int) n : -1;
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
            case STATUS, TRANSFER, TYPING, READ -> type;
            default -> MessageType.RECEIPT;
        };
        return fail(answer, request.msgId(), session.userId(), Failure.RATE_LIMITED);
    }

    /**
     * The {@code error} answer to malformed input; it echoes the client's {@code msgId} only if that one is valid.
     */
    public Envelope badMessage(Session session, Envelope malformed) {
        final String msgId = malformed != null && malformed.msgId() != null && !malformed.msgId().isEmpty()
                             && malformed.msgId().length() <= EnvelopeValidator.MAX_MSG_ID_CHARS
                             ? malformed.msgId() : null;
        metrics.failure(Failure.BAD_MESSAGE);
        return envelopes.badMessage(msgId, session.userId());
    }

    private Envelope unavailableAs(MessageType type, String msgId, String me, Throwable error) {
        logger.debug("userId={} request failed: {}", me, error.toString());
        return fail(type, msgId, me, Failure.UNAVAILABLE);
    }

    private Envelope unavailable(String msgId, String me, Throwable error) {
        return unavailableAs(MessageType.RECEIPT, msgId, me, error);
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
}
