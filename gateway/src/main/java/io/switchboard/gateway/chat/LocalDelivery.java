package io.switchboard.gateway.chat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.SessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.netty.CloseCodes;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery to the connections of this gateway, and the single-node {@link Router}: the one place that writes a
 * message to a recipient's channel. A recipient that is connected, writable and has nothing held gets the message
 * written at once (Netty hops to its loop); anything else goes into the {@link MemoryHold}, which is drained in order
 * when the recipient connects ({@link #drainTo}) or catches up ({@link #onWritable}). A write that fails (the
 * connection died under it) holds its message again in its place.
 *
 * <p>Slow consumers: a recipient whose channel is above its high water mark is not written to; its messages are held
 * instead, and if it is still unwritable after {@code slowConsumerTimeoutNanos} it is closed with 1013, so one slow
 * reader can never grow the gateway's memory beyond the hold's bounds. Its held messages wait for its reconnect.
 *
 * <p>In a cluster the user may reconnect to another node, so what this node's memory holds for a user who has no live
 * connection here is handed {@code elsewhere} (the cluster router: to the node now holding the user, or to the
 * shared hold): a write that fails on a dead or closing connection, and what was held here when the user's session
 * ends ({@link #handOffHeld}). A "push success" answered for a write that then failed is kept that way too.
 *
 * <p>Thread-safe and non-blocking: safe to call from any event loop.
 */
public final class LocalDelivery implements Router {

    private static final Logger logger = LoggerFactory.getLogger(LocalDelivery.class);
    private static final String NORMAL = MessageType.NORMAL.wireName();

    private final SessionRegistry registry;
    private final MemoryHold hold;
    private final AckLogs acks;
    private final ChatStore store;
    private final GatewayMetrics metrics;
    private final long slowConsumerTimeoutNanos;
    /** Where messages for a user with no live connection here go; {@code null} on one gateway (they wait here). */
    private final BiConsumer<String, Envelope> elsewhere;
    /** The newest notices kept per user and key for a recipient without a live connection (see notifyOrKeep). */
    private final KeptNotices kept = new KeptNotices();
    /** Writes to an acknowledging session whose deliveries live elsewhere (cluster); set once at wiring. */
    private volatile Consumer<Session> acknowledgingWritable = session -> { };

    /** Delivery on one gateway: everything held waits in {@code hold} for the user's next connection here. */
    public LocalDelivery(SessionRegistry registry, MemoryHold hold, GatewayMetrics metrics,
                         long slowConsumerTimeoutNanos) {
        this(registry, hold, null, ChatStore.MEMORY, metrics, slowConsumerTimeoutNanos, null);
    }

    /**
     * Delivery on one gateway, with acknowledged delivery and a store.
     *
     * @param acks  the acknowledging connections' sequences and unacknowledged deliveries
     * @param store where {@code hold} writes through; a promise of a held message waits for it
     */
    public LocalDelivery(SessionRegistry registry, MemoryHold hold, AckLogs acks, ChatStore store,
                         GatewayMetrics metrics, long slowConsumerTimeoutNanos) {
        this(registry, hold, acks, store, metrics, slowConsumerTimeoutNanos, null);
    }

    /**
     * Delivery on one node of a cluster.
     *
     * @param elsewhere takes a message for a user who has no live connection on this node (its write failed, or its
     *                  session ended with messages held here); non-blocking
     */
    public LocalDelivery(SessionRegistry registry, MemoryHold hold, GatewayMetrics metrics,
                         long slowConsumerTimeoutNanos, BiConsumer<String, Envelope> elsewhere) {
        this(registry, hold, null, ChatStore.MEMORY, metrics, slowConsumerTimeoutNanos, elsewhere);
    }

    private LocalDelivery(SessionRegistry registry, MemoryHold hold, AckLogs acks, ChatStore store,
                          GatewayMetrics metrics, long slowConsumerTimeoutNanos,
                          BiConsumer<String, Envelope> elsewhere) {
        this.registry = registry;
        this.hold = hold;
        this.acks = acks;
        this.store = store;
        if (acks != null) {
            // An acknowledging connection that stops reading is watched like any slow consumer.
            acks.onBlocked(this::armSlowConsumerClose);
        }
        this.metrics = metrics;
        this.slowConsumerTimeoutNanos = slowConsumerTimeoutNanos;
        this.elsewhere = elsewhere;
    }

    @Override
    public CompletionStage<Delivery> deliverEncoded(String toUserId, Envelope envelope, ByteBuf encoded) {
        final Session session = registry.find(toUserId);
        if (session != null && session.ackMode() && acks != null) {
            // Sequenced, stored, then written: completes once the store has it.
            final CompletionStage<Delivery> acked = acks.deliver(session, envelope);
            if (acked != null) {
                return acked;
            }
            return deliverOrHold(null, toUserId, envelope, null);
        }
        return deliverOrHold(session, toUserId, envelope, encoded);
    }

    private CompletionStage<Delivery> deliverOrHold(Session session, String toUserId, Envelope envelope,
                                                    ByteBuf encoded) {
        final Delivery delivery = deliver(session, toUserId, envelope, encoded);
        if (delivery == Delivery.HELD && store.durable()) {
            // "stored offline" is a promise: answer it once the message is in the data file.
            return store.flushed().thenApply(ignored -> Delivery.HELD);
        }
        return delivery.asStage();
    }

    @Override
    public void notify(String toUserId, Envelope envelope) {
        final Session session = registry.find(toUserId);
        if (session != null) {
            notify(session, envelope);
        }
    }

    /** Writes a notice to {@code session} if it keeps up; {@code false} if not written. */
    public boolean notify(Session session, Envelope envelope) {
        final Channel channel = session.channel();
        if (!channel.isActive() || !channel.isWritable()) {
            return false;
        }
        channel.writeAndFlush(envelope, channel.voidPromise());
        return true;
    }

    @Override
    public void notifyOrKeep(String toUserId, String key, Envelope envelope) {
        final Session session = registry.find(toUserId);
        if (session == null || !notify(session, envelope)) {
            kept.keep(toUserId, key, envelope, System.nanoTime());
            final Session now = registry.find(toUserId);
            if (now != null && now != session) {
                // It connected meanwhile, and its drain may have run before we kept the notice.
                now.channel().eventLoop().execute(() -> writeKept(now));
            }
        }
    }

    /** Writes the notices kept for {@code session}'s user (after its drain). Must run on its loop. */
    private void writeKept(Session session) {
        final List<Envelope> notices = kept.take(session.userId());
        if (!notices.isEmpty() && session.channel().isActive()) {
            for (Envelope e : notices) {
                session.channel().write(e, session.channel().voidPromise());
            }
            session.channel().flush();
        }
    }

    /** Drops kept notices older than {@code ttlNanos}. Run periodically. */
    public void sweepKept(long ttlNanos) {
        kept.sweep(System.nanoTime() - ttlNanos);
    }

    /**
     * Delivers to {@code session} (the recipient's session here, or {@code null}): live, or held. The synchronous
     * form of {@link #deliverEncoded}; {@code encoded} may be {@code null} (the frame codec encodes the envelope).
     */
    public Delivery deliver(Session session, String toUserId, Envelope envelope, ByteBuf encoded) {
        final long seq = hold.nextSeq();
        if (session != null && session.channel().isWritable() && !hold.has(toUserId)) {
            // The frame codec encodes an envelope; a pre-encoded frame passes it untouched and Netty releases it.
            final Object message = encoded == null ? envelope : new TextWebSocketFrame(encoded.retainedDuplicate());
            writeLive(session, message, toUserId, envelope, seq);
            return Delivery.LIVE;
        }
        return holdOrQueue(session, toUserId, envelope, seq);
    }

    /**
     * Delivers a {@code normal} that arrives already encoded (from another node): {@code json} is written as it is,
     * and {@code envelope} is decoded only if the message has to be held. Takes ownership of {@code json}.
     */
    public Delivery deliverPreEncoded(Session session, ByteBuf json, Supplier<Envelope> envelope) {
        final long seq = hold.nextSeq();
        final String toUserId = session.userId();
        if (session.channel().isWritable() && !hold.has(toUserId)) {
            final long start = System.nanoTime();
            final boolean fromOtherThread = fromOtherThread(session);
            session.channel().writeAndFlush(new TextWebSocketFrame(json)).addListener(f -> {
                if (!f.isSuccess()) {
                    rehold(toUserId, envelope.get(), seq);
                } else {
                    metrics.routingLatency(System.nanoTime() - start);
                }
                if (fromOtherThread) {
                    writeFromOtherThreadDone(session);
                }
            });
            return Delivery.LIVE;
        }
        json.release();
        return holdOrQueue(session, toUserId, envelope.get(), seq);
    }

    /** The slow path: queue behind what is held for a writable recipient, else hold (and watch a slow one). */
    private Delivery holdOrQueue(Session session, String toUserId, Envelope envelope, long seq) {
        if (session != null && session.channel().isWritable()) {
            final Delivery queued = hold.addIfPending(toUserId, envelope, seq);
            if (queued != null) {
                return queued;
            }
            // The hold was drained meanwhile: nothing to queue behind.
            writeLive(session, envelope, toUserId, envelope, seq);
            return Delivery.LIVE;
        }
        final Delivery outcome = hold.add(toUserId, envelope, seq) ? Delivery.HELD : Delivery.DROPPED;
        if (elsewhere != null && session != null && !session.channel().isActive()) {
            handOverIfGone(toUserId); // its session is closing: the close hands this over, or it closed already
        } else if (session != null) {
            onSlowConsumer(session);
        } else {
            drainIfConnected(toUserId);
        }
        return outcome;
    }

    /**
     * Writes and flushes {@code message} ({@code envelope} or its pre-encoded frame); if the write fails, the envelope
     * is held again in its place. Records the routing latency of a delivered {@code normal}; the start time rides in
     * the listener the write needs anyway.
     */
    private void writeLive(Session session, Object message, String userId, Envelope envelope, long seq) {
        final boolean timed = NORMAL.equals(envelope.type());
        final long start = System.nanoTime();
        final boolean fromOtherThread = fromOtherThread(session);
        session.channel().writeAndFlush(message).addListener(f -> {
            if (!f.isSuccess()) {
                rehold(userId, envelope, seq);
            } else if (timed) {
                metrics.routingLatency(System.nanoTime() - start);
            }
            if (fromOtherThread) {
                writeFromOtherThreadDone(session);
            }
        });
    }

    /**
     * Counts a write about to be handed to {@code session}'s channel from another thread (it runs later, as a task on
     * the channel's loop); {@code false} on the loop itself, where it is written at once.
     */
    private static boolean fromOtherThread(Session session) {
        if (session.channel().eventLoop().inEventLoop()) {
            return false;
        }
        session.writeFromOtherThread();
        return true;
    }

    /**
     * On the loop: a write handed from another thread is done. Drains held on the loop wait for these (a message held
     * after such a write was handed over must not be written before it), so the last one drains what waits.
     */
    private void writeFromOtherThreadDone(Session session) {
        if (session.writeFromOtherThreadDone() == 0 && hold.has(session.userId())) {
            drainIfCurrent(session);
        }
    }

    /**
     * Holds a message whose write failed, in its place, and drains to a connection the user may have now; in a
     * cluster, a user without a live connection here gets it {@code elsewhere}.
     */
    private void rehold(String userId, Envelope envelope, long seq) {
        hold.add(userId, envelope, seq);
        if (elsewhere != null) {
            handOverIfGone(userId); // drains to a live session, else the hand-over takes it
        } else {
            drainIfConnected(userId);
        }
    }

    /**
     * A message was held for a user who may have connected meanwhile (its registration and drain ran between our
     * look-up and the hold): drain on its loop, or the message would wait for the next reconnect.
     */
    private void drainIfConnected(String userId) {
        final Session current = registry.find(userId);
        if (current != null) {
            current.channel().eventLoop().execute(() -> drainIfCurrent(current));
        }
    }

    /**
     * Writes everything held here for the session's user, oldest first; a write that fails holds its message again
     * in its place.
     * Must run on the session's event loop, in the same task that registered it or saw it become writable.
     *
     * @return how many messages were written
     */
    public int drainTo(Session session) {
        assert session.channel().eventLoop().inEventLoop();
        final int drained = drainHeld(session);
        writeKept(session);
        return drained;
    }

    private int drainHeld(Session session) {
        final String userId = session.userId();
        if (session.writesFromOtherThreadsPending()) {
            return 0; // the last of them drains (writeFromOtherThreadDone): what is held here came after them
        }
        if (session.ackMode() && acks != null) {
            // Into its log, each with the next seq, under the log's monitor (see AckLogs.absorbHeld).
            return Math.max(0, acks.absorbHeld(session));
        }
        final List<MemoryHold.Held> held = hold.takeAll(userId);
        // A plain connection first gets what an acknowledging one of this userId left unacknowledged: it is older.
        final List<Envelope> unacked = acks == null ? List.of() : acks.takeForPlain(userId);
        if (held.isEmpty() && unacked.isEmpty()) {
            return 0;
        }
        final Channel channel = session.channel();
        for (Envelope e : unacked) {
            write(channel, e, userId, hold.nextSeq());
        }
        for (MemoryHold.Held h : held) {
            write(channel, h.envelope(), userId, h.seq());
        }
        channel.flush();
        hold.forget(held);
        metrics.offlineDelivered(held.size() + unacked.size());
        return held.size() + unacked.size();
    }

    /**
     * Writes {@code envelopes} to {@code session} in order and flushes once; a write that fails holds its message
     * again, in order. Must run on the session's event loop.
     */
    public int writeAll(Session session, List<Envelope> envelopes) {
        if (envelopes.isEmpty()) {
            return 0;
        }
        final Channel channel = session.channel();
        for (Envelope envelope : envelopes) {
            write(channel, envelope, session.userId(), hold.nextSeq());
        }
        channel.flush();
        return envelopes.size();
    }

    /** Writes without flushing; a failed write holds the envelope again under {@code seq}. */
    private void write(Channel channel, Envelope envelope, String userId, long seq) {
        channel.write(envelope).addListener(f -> {
            if (!f.isSuccess()) {
                rehold(userId, envelope, seq);
            }
        });
    }

    /**
     * In a cluster, as {@code session}'s connection closes and before it leaves the registry: claims the hand-over
     * of what this node holds for its user (see {@link #handOver}). From here on, a message for the user that arrives
     * on any thread queues behind the hold ({@link #behindHandOver}), and a write of the closing connection that
     * fails goes back into it in its place, until {@link #handOver} has passed all of it on, oldest first. Returns
     * whether the caller is to run {@link #handOver} (or {@link #releaseHandOver}). Must run on the session's loop.
     */
    public boolean closing(Session session) {
        return elsewhere != null && registry.find(session.userId()) == session
               && hold.claimHandOver(session.userId());
    }

    /**
     * Hands what this node holds for {@code userId} {@code elsewhere}, oldest first, including what arrives while it
     * does (each round passes on what was there, until nothing is left): its session here ended, and it may come
     * back on another node. If the user has a live connection here again, stops and drains to it instead. For the
     * caller that claimed it ({@link #closing}); runs it on the closed session's loop, after the close failed the
     * writes still pending there (Netty fails them right after the close listeners ran), so they are in the hold.
     */
    public void handOver(String userId) {
        while (true) {
            final Session current = registry.find(userId);
            if (current != null && current.channel().isActive()) {
                releaseHandOver(userId);
                return;
            }
            final List<MemoryHold.Held> round = hold.peek(userId);
            int expired = 0;
            for (MemoryHold.Held h : round) {
                if (hold.expired(h)) {
                    expired++;
                } else {
                    elsewhere.accept(userId, h.envelope());
                }
            }
            if (expired > 0) {
                metrics.offlineExpired(expired);
            }
            if (hold.handedOver(userId, round)) {
                return;
            }
        }
    }

    /** Gives up a claimed hand-over (the session stayed, or the user is connected here again): drains to it. */
    public void releaseHandOver(String userId) {
        hold.releaseHandOver(userId);
        drainIfConnected(userId);
    }

    /**
     * In a cluster, a message for {@code userId}, who has no session here, while what this node held for it is being
     * handed over: it queues behind that (answered {@code HELD}), so that it cannot overtake it. Returns {@code null}
     * if nothing is held here for the user (the usual case, one map look-up): route it as usual.
     */
    public Delivery behindHandOver(String userId, Envelope envelope) {
        if (!holds(userId)) {
            return null;
        }
        final Delivery queued = hold.addIfPending(userId, envelope, hold.nextSeq());
        if (queued != null) {
            handOverIfGone(userId);
        }
        return queued;
    }

    /** In a cluster, whether this node holds anything for {@code userId} (or is handing it over): one look-up. */
    public boolean holds(String userId) {
        return elsewhere != null && hold.has(userId);
    }

    /**
     * Hands a message accepted for {@code userId} but not written here {@code elsewhere} (in a cluster: behind what
     * is held here, routed again by the hand-over), or holds it here on one gateway.
     */
    public void handOff(String userId, Envelope envelope) {
        rehold(userId, envelope, hold.nextSeq());
    }

    /**
     * In a cluster, after something was put in a user's hold: a live session here gets it drained; a closing
     * session's close hands it over ({@link #closing}); for a gone one, whoever claims the hand-over first runs it, so
     * nothing stays behind in this node's memory.
     */
    private void handOverIfGone(String userId) {
        final Session current = registry.find(userId);
        if (current == null && hold.claimHandOver(userId)) {
            handOver(userId);
        } else if (current != null && current.channel().isActive()) {
            drainIfConnected(userId);
        }
    }

    /** Closes {@code session} with 1013 if it stays unwritable past the slow-consumer timeout. */
    public void watchSlowConsumer(Session session) {
        armSlowConsumerClose(session);
    }

    /** Delivers what is held for {@code session} once it can take it again. Must run on the session's loop. */
    public void onWritable(Session session) {
        assert session.channel().eventLoop().inEventLoop();
        if (session.channel().isWritable()) {
            session.disarmSlowConsumerCheck();
        }
        if (session.ackMode()) {
            if (acks != null) {
                acks.pump(session);
            } else {
                acknowledgingWritable.accept(session);
            }
        }
        drainIfCurrent(session);
    }

    /**
     * Sets who writes to an acknowledging session that is writable again, where its deliveries are not kept here
     * (a cluster keeps them in Redis). Once, while wiring.
     */
    public void onAcknowledgingWritable(Consumer<Session> pump) {
        this.acknowledgingWritable = pump;
    }

    /** Drains to {@code session} if it is still the user's live, writable session. Must run on its loop. */
    private void drainIfCurrent(Session session) {
        if (session.channel().isWritable() && registry.find(session.userId()) == session) {
            drainTo(session);
        }
    }

    private void onSlowConsumer(Session session) {
        // The channel may have become writable between the check and the hold: drain on its loop if so.
        session.channel().eventLoop().execute(() -> onWritable(session));
        armSlowConsumerClose(session);
    }

    /** Closes {@code session} with 1013 if it is still unwritable after the slow-consumer timeout. */
    private void armSlowConsumerClose(Session session) {
        final Channel channel = session.channel();
        if (!session.armSlowConsumerCheck()) {
            return;
        }
        metrics.slowConsumer(false);
        channel.eventLoop().schedule(() -> {
            session.disarmSlowConsumerCheck();
            if (channel.isActive() && !channel.isWritable()) {
                logger.debug("{} slow consumer: unwritable for {} ms, closing with 1013", channel,
                             TimeUnit.NANOSECONDS.toMillis(slowConsumerTimeoutNanos));
                metrics.slowConsumer(true);
                // The close frame queues behind what the peer is not reading; the WebSocket handler's force-close
                // timeout closes the socket if the frame cannot be written.
                channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.TRY_AGAIN_LATER, "slow consumer"));
                channel.close();
            }
        }, slowConsumerTimeoutNanos, TimeUnit.NANOSECONDS);
    }
}
