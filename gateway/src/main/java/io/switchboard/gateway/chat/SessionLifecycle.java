package io.switchboard.gateway.chat;

import io.netty.util.concurrent.EventExecutor;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelopes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What connects and disconnects do ({@code PROTOCOL.md} §1 and §3): register a session (replacing an older one of
 * the same userId with 4001), keep the pairings of a userId that reconnects within the grace period, make an agent
 * available, deliver what was held, and end the pairings of a userId that is gone for good.
 *
 * <p>Reconnect grace: when the last connection of a paired userId closes, its pairings survive for
 * {@code reconnectGrace}. If it reconnects in time nothing changes; otherwise its peers get {@code leave}. The timer
 * runs on the closed channel's event loop and is cancelled by the reconnect.
 *
 * <p>Thread-safe and non-blocking: {@link #connected} must run on the session's loop; {@link #release} is safe to
 * call from any thread.
 */
public final class SessionLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(SessionLifecycle.class);

    private final SessionRegistry registry;
    private final MatchService matches;
    private final Router router;
    private final Presence presence;
    private final LocalDelivery delivery;
    private final Replacement replacement;
    private final Envelopes envelopes;
    private final GatewayMetrics metrics;
    private final ChatEvents events;
    private final AckLogs acks;
    private final History history;
    private final long graceNanos;
    private final ConcurrentHashMap<String, ScheduledFuture<?>> graceTimers = new ConcurrentHashMap<>();

    /**
     * @param router   delivers the {@code leave} notices of released pairings (cluster-wide in cluster mode)
     * @param presence told of sessions coming and going here, asked whether a userId is connected elsewhere
     * @param delivery delivers what this gateway held for a session that connects
     * @param events   told about connects, disconnects and ended pairings (webhooks); must not block
     */
    public SessionLifecycle(SessionRegistry registry, MatchService matches, Router router, Presence presence,
                            LocalDelivery delivery, Replacement replacement, Envelopes envelopes,
                            GatewayMetrics metrics, ChatEvents events, Duration reconnectGrace) {
        this(registry, matches, router, presence, delivery, replacement, envelopes, metrics, events, reconnectGrace,
             null);
    }

    /**
     * @param acks the sequences and unacknowledged deliveries of acknowledging connections ({@code PROTOCOL.md} §5),
     *             or {@code null} where connections are never acknowledging
     */
    public SessionLifecycle(SessionRegistry registry, MatchService matches, Router router, Presence presence,
                            LocalDelivery delivery, Replacement replacement, Envelopes envelopes,
                            GatewayMetrics metrics, ChatEvents events, Duration reconnectGrace, AckLogs acks) {
        this(registry, matches, router, presence, delivery, replacement, envelopes, metrics, events, reconnectGrace,
             acks, History.NONE);
    }

    /**
     * @param history told when a conversation ends because its user or agent did not come back
     */
    public SessionLifecycle(SessionRegistry registry, MatchService matches, Router router, Presence presence,
                            LocalDelivery delivery, Replacement replacement, Envelopes envelopes,
                            GatewayMetrics metrics, ChatEvents events, Duration reconnectGrace, AckLogs acks,
                            History history) {
        this.history = history;
        this.acks = acks;
        this.registry = registry;
        this.matches = matches;
        this.router = router;
        this.presence = presence;
        this.delivery = delivery;
        this.replacement = replacement;
        this.envelopes = envelopes;
        this.metrics = metrics;
        this.events = events;
        this.graceNanos = reconnectGrace.toNanos();
    }

    /**
     * Registers a freshly upgraded session: replaces (4001) an older one of the same userId, keeps the pairings of a
     * reconnect within the grace period, makes an agent available, and delivers what was held for the user. Must run
     * on the session's loop.
     */
    public void connected(Session session) {
        assert session.channel().eventLoop().inEventLoop();
        if (session.ackMode() && acks != null) {
            // Its sequence first (from the store, if it is not in memory): the session is registered once it is there.
            Stages.whenDone(acks.open(session.userId()), session.channel().eventLoop(), (ignored, error) -> {
                if (error != null) {
                    logger.warn("Could not read the sequence of userId={} from the data store: {}",
                                session.userId(), error.toString());
                    session.channel().close();
                } else if (session.channel().isActive()) {
                    register(session);
                }
            });
            return;
        }
        register(session);
    }

    private void register(Session session) {
        final Session displaced = registry.register(session);
        session.channel().closeFuture().addListener(f -> disconnected(session));
        metrics.connectionOpened(session.role());
        events.connected(session.userId(), session.role(), session.connectionId(), session.connectedAtMillis());
        if (displaced == session) {
            // A connection the client opened after this one registered first (its upgrade finished sooner).
            replacement.replace(session, registry.find(session.userId()));
            return;
        }
        if (displaced != null) {
            replacement.replace(displaced, session.channel());
        }
        final ScheduledFuture<?> grace = graceTimers.remove(session.userId());
        if (grace != null) {
            grace.cancel(false);
        }
        endOtherRole(session);
        // Before the agent joins the pool: a cluster presence publishes what the pool relies on.
        presence.attached(session);
        if (session.role() == Role.AGENT) {
            matches.agentOnline(session.userId());
        }
        if (session.ackMode() && acks != null) {
            acks.attach(session);
        }
        delivery.drainTo(session);
        if (session.role() == Role.AGENT) {
            // An agent (back) online has room: serve who waits, after this task wrote what was held for it.
            session.channel().eventLoop().execute(this::serveQueue);
        }
    }

    /**
     * One userId has one role at a time ({@code docs/PROTOCOL.md} §1): a connection in one role ends what the id
     * still held in the other, as if that side had left for good. An agent's id that connects as a user leaves the
     * pool and its users get {@code leave}; a user's id that connects as an agent is unpaired and its agent gets
     * {@code leave}. Without this an agent replaced by a user connection of the same id stayed in the pool (a ghost
     * matched to new users) and its user-role session could match itself. A no-op when the id held nothing in the
     * other role (on a cluster node: one Redis script or look-up per connect).
     */
    private void endOtherRole(Session session) {
        final Role other = session.role() == Role.AGENT ? Role.USER : Role.AGENT;
        release(session.userId(), other).whenComplete((ignored, error) -> {
            if (error != null) {
                logger.warn("Could not end the {} pairings of userId={}, which connected as {}: {}",
                            other.wireName(), session.userId(), session.role().wireName(), error.toString());
            }
        });
    }

    /**
     * The pairings the store kept across a restart: each of their userIds has the reconnect grace period, counted
     * from now, to come back before its peers get {@code leave}.
     *
     * @param timer the loop that runs the grace timers
     */
    public void restored(Map<String, String> agentOfUser, EventExecutor timer) {
        restored(agentOfUser, List.of(), timer);
    }

    /**
     * As {@link #restored(Map, EventExecutor)}, and the users the store kept waiting in the queue get the same grace
     * period to come back before they leave it.
     */
    public void restored(Map<String, String> agentOfUser, List<String> waiting, EventExecutor timer) {
        timer.execute(() -> {
            for (String user : waiting) {
                startGrace(user, Role.USER, timer);
            }
            final Set<String> agents = new HashSet<>();
            agentOfUser.forEach((user, agent) -> {
                startGrace(user, Role.USER, timer);
                if (agents.add(agent)) {
                    startGrace(agent, Role.AGENT, timer);
                }
            });
        });
    }

    private void disconnected(Session session) {
        metrics.connectionClosed(session.role());
        final Session.CloseStatus close = session.closeStatus();
        events.disconnected(session.userId(), session.role(), session.connectionId(),
                            close == null ? -1 : close.code(), close == null ? null : close.reason(),
                            close != null && close.byServer());
        if (acks != null && session.ackMode()) {
            acks.detach(session);
        }
        final String userId = session.userId();
        // In a cluster, what this node holds for the user is handed to the cluster: claimed before the session leaves
        // the registry (from then on, messages for the user queue behind it), passed on in a task of its own, after
        // the writes the closing channel still had pending: Netty fails those right after the close listeners ran,
        // and they go back into the hold in their place, being older.
        final boolean handOver = delivery.closing(session);
        if (!registry.unregister(session)) {
            if (handOver) {
                delivery.releaseHandOver(userId);
            }
            return; // replaced: the newer session carries on
        }
        presence.detached(session);
        if (handOver) {
            session.channel().eventLoop().execute(() -> delivery.handOver(userId));
        }
        final CompletionStage<Boolean> paired;
        if (session.role() == Role.AGENT) {
            matches.agentOffline(userId);
            paired = matches.usersOf(userId).thenApply(users -> !users.isEmpty());
        } else {
            // A waiting user keeps its place for the grace period too (PROTOCOL.md §6).
            paired = matches.agentOf(userId).thenCompose(agent -> agent != null ? Stages.completed(true)
                    : matches.queuePosition(userId).thenApply(position -> position > 0));
        }
        Stages.whenDone(paired, session.channel().eventLoop(), (p, error) -> {
            if (error != null) {
                // Unknown: run the grace period anyway; its expiry asks again.
                logger.debug("{} pairing lookup failed on disconnect: {}", session.channel(), error.toString());
            }
            if (error != null || p) {
                startGrace(session.userId(), session.role(), session.channel().eventLoop());
            }
        });
    }

    private void startGrace(String userId, Role role, EventExecutor loop) {
        if (graceNanos == 0) {
            expire(userId, role);
            return;
        }
        // The timer removes only its own entry: a newer disconnect's timer must keep its full grace period.
        // It runs on this loop, so it cannot fire before `self` is set below.
        final ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
        self[0] = loop.schedule(
                () -> {
                    if (graceTimers.remove(userId, self[0])) {
                        expire(userId, role);
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
        presence.connectedElsewhere(userId)
                .thenCompose(elsewhere -> elsewhere ? Stages.done() : release(userId, role))
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
            // Each user's leave in the notice order, before those who asked to wait hear their place again: the queue
            // is served once the leaves are delivered (or held), since in a cluster the positions that serving
            // publishes take another path to the users' nodes than their leaves, and could overtake them.
            final List<CompletionStage<Router.Delivery>> leaves = Collections.synchronizedList(new ArrayList<>());
            return matches.releaseAgent(userId, user -> leaves.add(ended(user, userId, userId, user)))
                          .thenCompose(users -> {
                              final CompletableFuture<?>[] all;
                              synchronized (leaves) {
                                  all = leaves.stream().map(CompletionStage::toCompletableFuture)
                                              .toArray(CompletableFuture[]::new);
                              }
                              return CompletableFuture.allOf(all).handle((v, error) -> null);
                          })
                          .thenAccept(v -> serveQueue());
        }
        final CompletionStage<Void> left = matches.leaveQueue(userId).thenAccept(waited -> {
            if (waited >= 0) {
                metrics.dequeued("left", waited);
                events.dequeued(userId, "left", null, waited);
            }
        });
        return left.thenCompose(ignored -> matches.agentOf(userId)).thenCompose(agent -> {
            if (agent == null) {
                return Stages.done();
            }
            return matches.unpair(userId, agent, () -> ended(userId, agent, userId, agent)).thenAccept(ended -> {
                if (ended) {
                    serveQueue();
                }
            });
        });
    }

    private void serveQueue() {
        Stages.debugOnFailure(matches.serveQueue(), logger, "serving the queue");
    }

    /** The pairing of {@code user} and {@code agent} ended: {@code gone} did not come back; tells {@code peer}. */
    private CompletionStage<Router.Delivery> ended(String user, String agent, String gone, String peer) {
        metrics.pairingEnded();
        history.ended(user);
        events.left(user, agent, gone, true);
        return router.deliver(peer, envelopes.leave(null, peer, gone));
    }

    /** Pending reconnect-grace timers (for stats). */
    public int graceTimers() {
        return graceTimers.size();
    }
}
