package io.switchboard.client;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.json.EnvelopeJson;
import io.switchboard.protocol.netty.CloseCodes;
import io.switchboard.protocol.netty.EnvelopeFrameCodec;
import io.switchboard.protocol.validate.EnvelopeValidator;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Switchboard client for backends written in Java: one userId (a user or an agent) on one acknowledging
 * connection ({@code ?ack=1}, {@code PROTOCOL.md} §5) that survives connection drops and gateway restarts.
 *
 * <ul>
 *   <li><b>Each message once.</b> Every pushed message carries a seq. The client hands each seq to the application's
 *       {@link MessageHandler} once, in order, and drops redeliveries (a seq already handed over). A seq jump is
 *       counted as a gap ({@link ClientStats#gaps()}): the gateway's hold bound or TTL dropped deliveries.</li>
 *   <li><b>Acknowledged after processing.</b> A message is acknowledged only after the handler returned for it,
 *       cumulatively and coalesced: at most one {@code ack} per {@link Builder#ackInterval ack interval}.</li>
 *   <li><b>Reconnects.</b> A connection that ends for any reason other than {@link #close()}, close 4001
 *       (replaced), close 4003 (kicked) or an HTTP 400/401/403 at the handshake is opened again after an
 *       exponential backoff with full jitter, bounded by {@link Builder#backoff}, with {@code since=<last processed
 *       seq>}: the gateway resends what the application has not finished, and nothing it has.</li>
 *   <li><b>Sends with receipts.</b> {@link #send} gives the message a client-generated {@code msgId} and returns the
 *       gateway's receipt. A send whose receipt has not come (lost in a drop, or sent while disconnected) is written
 *       again after the reconnect with the same {@code msgId}; the gateway answers a resend within its dedup window
 *       (5 minutes by default) with the first receipt and does not deliver it twice.</li>
 *   <li><b>{@code delivered}.</b> When an acknowledging recipient acknowledges one of this client's messages, the
 *       {@link DeliveredListener} is told.</li>
 * </ul>
 *
 * <pre>{@code
 * SwitchboardClient agent = SwitchboardClient.builder(URI.create("ws://127.0.0.1:8080/pinter/imserver"), "bot-1")
 *         .agent(true)
 *         .onMessage(m -> {
 *             if ("normal".equals(m.type())) {
 *                 answer(m);                       // may block: it runs on the handler executor
 *             }
 *         })
 *         .onDelivered((msgId, to, seq, notice) -> markRead(msgId))
 *         .build();
 * agent.start().get(10, TimeUnit.SECONDS);         // the first connection is open
 * Envelope receipt = agent.send("user-42", "hello").get(10, TimeUnit.SECONDS);
 * if (!receipt.isSuccess()) {
 *     log(receipt.reason());                        // e.g. NOT_PAIRED: nothing was delivered
 * }
 * agent.close();                                    // acknowledges what was processed, closes with 1000
 * }</pre>
 *
 * <p><b>Threading.</b> Thread-safe; no method blocks except {@link #close()}. All connection state lives on one
 * event loop; the handler and listener run on the handler executor (by default a thread of the client's own), never
 * on the event loop. The futures returned by {@link #start}, {@link #send} and {@link #request} complete on the
 * event loop: dependent stages that may block must be {@code ...Async} (waiting with {@code get()} from any other
 * thread, the handler's included, is fine).
 *
 * <p><b>Bounds.</b> At most {@link Builder#maxPendingRequests} unanswered requests (more fail at once), each failing
 * after {@link Builder#requestTimeout}; at most {@link Builder#maxUnprocessed} messages handed to the handler and not
 * yet processed, beyond which the connection stops reading (the gateway holds the rest).
 */
public final class SwitchboardClient implements AutoCloseable {

    /** 500 ms: the first reconnect ceiling, as in the web pages. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
    /** 15 s: the largest reconnect ceiling. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(15);
    /** 50 ms: acks are coalesced over this interval. */
    public static final Duration DEFAULT_ACK_INTERVAL = Duration.ofMillis(50);
    /** 30 s. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** 10 s: TCP connect plus WebSocket handshake. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** 25 s: an application ping after this long without writing, as the web pages do. */
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(25);
    public static final int DEFAULT_MAX_PENDING_REQUESTS = 1024;
    public static final int DEFAULT_MAX_UNPROCESSED = 1024;
    /** 64 KiB, the gateway's default message limit ({@code PROTOCOL.md} §1). */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

    private static final Logger logger = LoggerFactory.getLogger(SwitchboardClient.class);
    private static final int MAX_HANDSHAKE_RESPONSE_BYTES = 8192;
    private static final long NO_SEQ = -1;

    private final URI endpoint;
    private final String userId;
    private final boolean agent;
    private final String token;
    private final boolean resumeWithSince;
    private final Duration ackInterval;
    private final Duration requestTimeout;
    private final Duration pingInterval;
    private final int maxPendingRequests;
    private final int maxUnprocessed;
    private final int maxMessageBytes;
    private final MessageHandler handler;
    private final DeliveredListener deliveredListener;
    private final Backoff backoff;
    private final EventLoopGroup ownedGroup;
    private final EventLoop loop;
    private final ExecutorService ownedExecutor;
    private final Executor dispatcher;
    private final EnvelopeJson json = EnvelopeJson.create();
    private final Bootstrap bootstrap;
    private final String idPrefix;
    private final AtomicLong ids = new AtomicLong();

    // Confined to the event loop.
    private final InboundSequence sequence;
    private final Map<String, Request> requests = new LinkedHashMap<>();
    private ConnectionHandler current;
    private boolean started;
    private boolean stopping;
    private int attempt;
    private int unprocessed;
    private ScheduledFuture<?> reconnectTimer;
    private ScheduledFuture<?> ackTimer;

    // Written on the event loop, read anywhere.
    private volatile Channel currentChannel;
    private volatile long lastProcessedView;
    private volatile long duplicatesView;
    private volatile long gapsView;
    private volatile long missingView;
    private volatile long reconnectsView;
    private volatile long acksSentView;
    private volatile int pendingView;

    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final CompletableFuture<StopReason> stopped = new CompletableFuture<>();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private SwitchboardClient(Builder b) {
        endpoint = b.endpoint;
        userId = b.userId;
        agent = b.agent;
        token = b.token;
        resumeWithSince = b.resumeWithSince;
        ackInterval = b.ackInterval;
        requestTimeout = b.requestTimeout;
        pingInterval = b.pingInterval;
        maxPendingRequests = b.maxPendingRequests;
        maxUnprocessed = b.maxUnprocessed;
        maxMessageBytes = b.maxMessageBytes;
        handler = b.handler;
        deliveredListener = b.deliveredListener;
        backoff = new Backoff(b.initialBackoff, b.maxBackoff, () -> ThreadLocalRandom.current().nextDouble());
        sequence = new InboundSequence(b.resumeFrom);
        lastProcessedView = b.resumeFrom;
        if (b.group != null) {
            ownedGroup = null;
            loop = b.group.next();
        } else {
            ownedGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sb-client-io", true),
                    NioIoHandler.newFactory());
            loop = ownedGroup.next();
        }
        if (b.handlerExecutor != null) {
            ownedExecutor = null;
            dispatcher = new SerialExecutor(b.handlerExecutor);
        } else {
            ownedExecutor = Executors.newSingleThreadExecutor(new DefaultThreadFactory("sb-client-handler", true));
            dispatcher = ownedExecutor;
        }
        bootstrap = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) b.connectTimeout.toMillis());
        // Random per client, so msgIds never collide with an earlier life of the same userId within the gateway's
        // dedup window (a collision would make the gateway answer a new message with an old receipt).
        idPrefix = "j" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 16, 36) + '-';
    }

    /**
     * A builder for a client of {@code userId}.
     *
     * @param endpoint the gateway's WebSocket path without the userId, e.g.
     *                 {@code ws://127.0.0.1:8080/pinter/imserver}
     * @param userId   this client's userId (1..128 characters, no {@code /}, whitespace or control characters)
     */
    public static Builder builder(URI endpoint, String userId) {
        return new Builder(endpoint, userId);
    }

    /**
     * Opens the first connection (and keeps reconnecting after it). Idempotent.
     *
     * @return completes when a connection is open for the first time; fails if the client stops before that
     */
    public CompletableFuture<Void> start() {
        onLoop(() -> {
            if (!started && !stopping) {
                started = true;
                openConnection();
            }
        }, opened);
        return opened;
    }

    /**
     * Sends a {@code normal} message to {@code to}, with a fresh client-generated {@code msgId}.
     *
     * @return the gateway's {@code receipt}: {@code code} "0" ({@code msg} "push success" or "stored offline") or
     *         "1" with the failure's {@code reason} ({@code NOT_PAIRED}, {@code RATE_LIMITED}, ...; nothing was
     *         delivered). Fails with a {@link TimeoutException} after the request timeout, with a
     *         {@link RejectedExecutionException} when too many requests are pending, and with an
     *         {@link IllegalStateException} when the client stops first.
     */
    public CompletableFuture<Envelope> send(String to, String msg) {
        requireNonNull(to, "to");
        requireNonNull(msg, "msg");
        return request(MessageType.NORMAL.wireName(), to, msg);
    }

    /**
     * Sends a request of any client type ({@code match}, {@code leave}, {@code status}, ...) with a fresh
     * {@code msgId} and returns the gateway's answer to it (the message of the same {@code msgId} without a seq:
     * a {@code receipt}, the {@code match} answer, an {@code error}, ...). Like {@link #send}, an unanswered request
     * is written again after a reconnect, so use it for requests that can be repeated ({@code match} is idempotent).
     *
     * @param type a client message type's wire name
     * @param to   the {@code to} field, or {@code null}
     * @param msg  the {@code msg} field, or {@code null}
     */
    public CompletableFuture<Envelope> request(String type, String to, String msg) {
        requireNonNull(type, "type");
        final String msgId = idPrefix + Long.toString(ids.incrementAndGet(), 36);
        final Request r = new Request(Envelope.client(type, msgId, to, msg), new CompletableFuture<>());
        onLoop(() -> enqueue(r), r.future);
        return r.future;
    }

    /** A user's {@code match}: the answer's {@code msg} is the agent's userId ({@code PROTOCOL.md} §3). */
    public CompletableFuture<Envelope> match() {
        return request(MessageType.MATCH.wireName(), Envelopes.SYSTEM, null);
    }

    /** Completes when the client has stopped for good, with the reason. */
    public CompletableFuture<StopReason> stopFuture() {
        return stopped;
    }

    /** The highest seq the handler has returned for, -1 if none: what a reconnect resumes from. */
    public long lastProcessedSeq() {
        return lastProcessedView;
    }

    /** This client's userId. */
    public String userId() {
        return userId;
    }

    /** A snapshot of the delivery bookkeeping. */
    public ClientStats stats() {
        final Channel ch = currentChannel;
        return new ClientStats(lastProcessedView, duplicatesView, gapsView, missingView, reconnectsView,
                acksSentView, pendingView, ch != null && ch.isActive());
    }

    /** The open connection's channel, {@code null} between connections (tests drop it to simulate a failure). */
    Channel channel() {
        return currentChannel;
    }

    /**
     * Stops: acknowledges what the handler has processed, closes the connection with 1000, fails pending requests,
     * stops reconnecting, and releases the client's own threads once the connection is closed.
     *
     * @return completes when the connection is closed and the client's own threads are shut down
     */
    public CompletableFuture<Void> closeAsync() {
        try {
            loop.execute(() -> {
                if (!stopping) {
                    flushAck();
                }
                stop(StopReason.CLOSED);
            });
        } catch (RejectedExecutionException e) {
            // The application shut the group down under us: nothing left to close on it.
            releaseResources();
        }
        return terminated;
    }

    /**
     * {@link #closeAsync()}, waiting up to 5 seconds for it. Must not be called on an event loop; restores the
     * interrupt flag if interrupted.
     */
    @Override
    public void close() {
        final CompletableFuture<Void> done = closeAsync();
        if (loop.inEventLoop()) {
            return;
        }
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            logger.debug("client {} did not close cleanly", userId, e);
        }
    }

    // ---- event loop ------------------------------------------------------------------------------------------

    private void onLoop(Runnable task, CompletableFuture<?> failOnReject) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            failOnReject.completeExceptionally(new IllegalStateException("client stopped", e));
        }
    }

    private void openConnection() {
        reconnectTimer = null;
        if (stopping) {
            return;
        }
        final long since = resumeWithSince ? sequence.lastProcessed() : InboundSequence.UNKNOWN;
        final URI uri = uriFor(since);
        final ConnectionHandler conn = new ConnectionHandler(this, since);
        final ChannelFuture f = bootstrap.clone().handler(new Initializer(uri, conn))
                .connect(InetSocketAddress.createUnresolved(uri.getHost(), port(uri)));
        f.addListener((ChannelFuture cf) -> {
            if (!cf.isSuccess()) {
                if (conn.cause == null) {
                    conn.cause = cf.cause();
                }
                // Usually also reported by the close future; the handler reports once.
                connectionClosed(conn);
            }
        });
    }

    private URI uriFor(long since) {
        final StringBuilder query = new StringBuilder("ack=1");
        if (agent) {
            query.append("&role=agent");
        }
        if (since != InboundSequence.UNKNOWN) {
            query.append("&since=").append(since);
        }
        String path = endpoint.getPath() == null ? "" : endpoint.getPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        try {
            // The multi-argument constructor percent-encodes the userId as a path segment needs.
            return new URI(endpoint.getScheme(), null, endpoint.getHost(), port(endpoint), path + '/' + userId,
                    query.toString(), null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("userId cannot form a URI: " + e.getMessage(), e);
        }
    }

    private static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : 80;
    }

    void connectionOpened(ConnectionHandler conn) {
        if (stopping) {
            conn.channel.close();
            return;
        }
        current = conn;
        currentChannel = conn.channel;
        attempt = 0;
        if (logger.isDebugEnabled()) {
            logger.debug("{} open userId={} since={}", conn.channel, userId, conn.since);
        }
        if (unprocessed >= maxUnprocessed) {
            conn.channel.config().setAutoRead(false);
        }
        // Unanswered requests go again, same msgIds: the gateway answers a resend with the first receipt.
        for (Request r : requests.values()) {
            conn.channel.write(r.envelope, conn.channel.voidPromise());
        }
        conn.channel.flush();
        opened.complete(null);
    }

    void connectionClosed(ConnectionHandler conn) {
        if (conn.reported) {
            return;
        }
        conn.reported = true;
        if (current == conn) {
            current = null;
            currentChannel = null;
        }
        if (stopping) {
            return;
        }
        if (logger.isDebugEnabled()) {
            logger.debug("{} closed userId={} code={} cause={}", conn.channel, userId, conn.closeCode,
                    conn.cause == null ? null : conn.cause.toString());
        }
        if (conn.closeCode == CloseCodes.REPLACED.code()) {
            stop(StopReason.REPLACED);
        } else if (conn.closeCode == CloseCodes.KICKED.code()) {
            stop(StopReason.KICKED);
        } else if (refused(conn.cause)) {
            stop(StopReason.REJECTED);
        } else {
            final long delay = backoff.delayMillis(attempt++);
            reconnectsView = reconnectsView + 1;
            reconnectTimer = loop.schedule(this::openConnection, delay, TimeUnit.MILLISECONDS);
        }
    }

    private static boolean refused(Throwable cause) {
        if (cause instanceof WebSocketClientHandshakeException) {
            final var response = ((WebSocketClientHandshakeException) cause).response();
            if (response != null) {
                final int status = response.status().code();
                return status == 400 || status == 401 || status == 403;
            }
        }
        return false;
    }

    void envelopeArrived(ConnectionHandler conn, Envelope e) {
        if (conn != current) {
            return;
        }
        final long seq = EnvelopeValidator.seq(e.seq());
        if (seq == NO_SEQ) {
            unsequenced(e);
            return;
        }
        if (seq > conn.highestReceived) {
            conn.highestReceived = seq;
        }
        if (sequence.arrived(seq) == InboundSequence.Verdict.DUPLICATE) {
            duplicatesView = sequence.duplicates();
            // The gateway still holds it: acknowledge (what the handler has finished) so it stops resending.
            scheduleAck();
            return;
        }
        gapsView = sequence.gaps();
        missingView = sequence.missing();
        dispatch(e, seq);
    }

    private void unsequenced(Envelope e) {
        final MessageType type = MessageType.fromWire(e.type());
        if (e.msgId() != null && isAnswer(type)) {
            final Request r = requests.remove(e.msgId());
            if (r != null) {
                pendingView = requests.size();
                r.timeout.cancel(false);
                r.future.complete(e);
                return;
            }
        }
        if (type == MessageType.PONG) {
            return;
        }
        dispatch(e, NO_SEQ);
    }

    private static boolean isAnswer(MessageType type) {
        // The direct answers of PROTOCOL.md §3 and §6: they carry the request's msgId and no seq.
        return type != MessageType.NORMAL && type != MessageType.DELIVERED && type != MessageType.LEAVE;
    }

    private void dispatch(Envelope e, long seq) {
        unprocessed++;
        final ConnectionHandler c = current;
        if (unprocessed >= maxUnprocessed && c != null) {
            // Backpressure: the gateway keeps holding what we do not read.
            c.channel.config().setAutoRead(false);
        }
        try {
            dispatcher.execute(() -> handle(e, seq));
        } catch (RejectedExecutionException ex) {
            unprocessed--;
            logger.warn("client {}: handler executor rejected a message; it will be redelivered", userId);
        }
    }

    /** Runs on the handler executor. */
    private void handle(Envelope e, long seq) {
        try {
            if (MessageType.DELIVERED.wireName().equals(e.type())) {
                if (deliveredListener != null) {
                    deliveredListener.onDelivered(e.msgId(), e.from(), e.msg(), e);
                }
            } else if (handler != null) {
                handler.onMessage(e);
            }
        } catch (RuntimeException ex) {
            logger.warn("client {}: handler failed on a {} message (seq {}); acknowledged anyway", userId, e.type(),
                    e.seq(), ex);
        } finally {
            try {
                loop.execute(() -> handled(seq));
            } catch (RejectedExecutionException ex) {
                // Stopped: nothing more to acknowledge.
            }
        }
    }

    private void handled(long seq) {
        unprocessed--;
        if (seq != NO_SEQ) {
            sequence.processed(seq);
            lastProcessedView = sequence.lastProcessed();
            scheduleAck();
        }
        final ConnectionHandler c = current;
        if (c != null && unprocessed <= maxUnprocessed / 2 && !c.channel.config().isAutoRead()) {
            c.channel.config().setAutoRead(true);
        }
    }

    private void scheduleAck() {
        if (ackInterval.isZero()) {
            flushAck();
        } else if (ackTimer == null && !stopping) {
            ackTimer = loop.schedule(this::flushAck, ackInterval.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void flushAck() {
        if (ackTimer != null) {
            ackTimer.cancel(false);
            ackTimer = null;
        }
        final ConnectionHandler c = current;
        if (c == null) {
            // The next connection's since acknowledges it.
            return;
        }
        // PROTOCOL.md §5: an ack above the last seq the gateway sent on this connection is refused.
        final long upTo = Math.min(sequence.lastProcessed(), c.highestReceived);
        if (upTo > c.acked) {
            c.acked = upTo;
            c.channel.writeAndFlush(Envelope.client(MessageType.ACK.wireName(), null, null, Long.toString(upTo)),
                    c.channel.voidPromise());
            acksSentView = acksSentView + 1;
        }
    }

    private void enqueue(Request r) {
        if (stopping) {
            r.future.completeExceptionally(new IllegalStateException("client stopped: " + stopped.getNow(null)));
            return;
        }
        if (requests.size() >= maxPendingRequests) {
            r.future.completeExceptionally(new RejectedExecutionException(
                    "too many unanswered requests: " + requests.size() + " (maxPendingRequests)"));
            return;
        }
        final String msgId = r.envelope.msgId();
        requests.put(msgId, r);
        pendingView = requests.size();
        r.timeout = loop.schedule(() -> {
            if (requests.remove(msgId, r)) {
                pendingView = requests.size();
                r.future.completeExceptionally(new TimeoutException("no answer to " + r.envelope.type() + " "
                        + msgId + " within " + requestTimeout));
            }
        }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        final ConnectionHandler c = current;
        if (c != null) {
            c.channel.writeAndFlush(r.envelope, c.channel.voidPromise());
        }
    }

    private void stop(StopReason reason) {
        if (stopping) {
            return;
        }
        stopping = true;
        if (reconnectTimer != null) {
            reconnectTimer.cancel(false);
            reconnectTimer = null;
        }
        if (ackTimer != null) {
            ackTimer.cancel(false);
            ackTimer = null;
        }
        final List<Request> failed = new ArrayList<>(requests.values());
        requests.clear();
        pendingView = 0;
        final IllegalStateException why = new IllegalStateException("client stopped: " + reason);
        for (Request r : failed) {
            r.timeout.cancel(false);
            r.future.completeExceptionally(why);
        }
        opened.completeExceptionally(why);
        stopped.complete(reason);
        if (logger.isDebugEnabled()) {
            logger.debug("client {} stopped: {}", userId, reason);
        }
        final ConnectionHandler c = current;
        if (c != null) {
            // WebSocketClientProtocolHandler sends the close frame (1000) before closing the socket.
            c.channel.close().addListener(f -> releaseResources());
        } else {
            releaseResources();
        }
    }

    private void releaseResources() {
        if (ownedExecutor != null) {
            // Lets queued handler calls finish; their acks have nowhere to go any more.
            ownedExecutor.shutdown();
        }
        if (ownedGroup != null) {
            ownedGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener(f -> terminated.complete(null));
        } else {
            terminated.complete(null);
        }
    }

    /** One unanswered request; confined to the event loop. */
    private static final class Request {
        final Envelope envelope;
        final CompletableFuture<Envelope> future;
        ScheduledFuture<?> timeout;

        Request(Envelope envelope, CompletableFuture<Envelope> future) {
            this.envelope = envelope;
            this.future = future;
        }
    }

    /** Builds one connection's pipeline; see {@link ConnectionHandler}. */
    private final class Initializer extends ChannelInitializer<Channel> {
        private final URI uri;
        private final ConnectionHandler conn;

        Initializer(URI uri, ConnectionHandler conn) {
            this.uri = uri;
            this.conn = conn;
        }

        @Override
        protected void initChannel(Channel ch) {
            final HttpHeaders headers = new DefaultHttpHeaders();
            if (token != null) {
                // PROTOCOL.md §1: the token in a header rather than the query keeps it out of access logs.
                headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
            }
            final WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                    .webSocketUri(uri)
                    .version(WebSocketVersion.V13)
                    .customHeaders(headers)
                    .allowExtensions(false)
                    .maxFramePayloadLength(maxMessageBytes)
                    .handshakeTimeoutMillis(DEFAULT_CONNECT_TIMEOUT.toMillis())
                    // Close frames come to ConnectionHandler, which needs the status code (4001, 4003).
                    .handleCloseFrames(false)
                    .sendCloseFrame(CloseCodes.NORMAL)
                    .forceCloseTimeoutMillis(1000)
                    .dropPongFrames(true)
                    .build();
            final ChannelPipeline p = ch.pipeline();
            p.addLast("http-codec", new HttpClientCodec());
            p.addLast("http-aggregator", new HttpObjectAggregator(MAX_HANDSHAKE_RESPONSE_BYTES));
            p.addLast("ws-protocol", new WebSocketClientProtocolHandler(config));
            p.addLast("ws-aggregator", new WebSocketFrameAggregator(maxMessageBytes));
            if (!pingInterval.isZero()) {
                p.addLast("keep-alive", new IdleStateHandler(0, pingInterval.toMillis(), 0, TimeUnit.MILLISECONDS));
            }
            p.addLast("frame-codec", new EnvelopeFrameCodec(json));
            p.addLast("client", conn);
        }
    }

    /**
     * Settings of a {@link SwitchboardClient}; every one has a default except the endpoint and the userId.
     * Validated on {@link #build()}, with the offending value in the message.
     */
    public static final class Builder {
        private final URI endpoint;
        private final String userId;
        private boolean agent;
        private String token;
        private boolean resumeWithSince = true;
        private long resumeFrom = InboundSequence.UNKNOWN;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Duration ackInterval = DEFAULT_ACK_INTERVAL;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private int maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS;
        private int maxUnprocessed = DEFAULT_MAX_UNPROCESSED;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private MessageHandler handler;
        private DeliveredListener deliveredListener;
        private EventLoopGroup group;
        private Executor handlerExecutor;

        private Builder(URI endpoint, String userId) {
            this.endpoint = requireNonNull(endpoint, "endpoint");
            this.userId = requireNonNull(userId, "userId");
        }

        /** Connect as an agent ({@code role=agent}); with authentication on, the token decides. */
        public Builder agent(boolean v) {
            agent = v;
            return this;
        }

        /** A bearer token, sent in the {@code Authorization} header of every handshake. */
        public Builder token(String v) {
            token = v;
            return this;
        }

        /** Receives the pushed messages; without one they are acknowledged and dropped. */
        public Builder onMessage(MessageHandler v) {
            handler = v;
            return this;
        }

        /** Receives {@code delivered} notices. */
        public Builder onDelivered(DeliveredListener v) {
            deliveredListener = v;
            return this;
        }

        /** Reconnect backoff: ceilings {@code initial * 2^attempt}, capped at {@code max}, full jitter below. */
        public Builder backoff(Duration initial, Duration max) {
            initialBackoff = requireNonNull(initial, "initial");
            maxBackoff = requireNonNull(max, "max");
            return this;
        }

        /** Acks are coalesced over this interval; zero acknowledges each message as soon as it is processed. */
        public Builder ackInterval(Duration v) {
            ackInterval = requireNonNull(v, "ackInterval");
            return this;
        }

        /** How long a request waits for its answer, across reconnects. */
        public Builder requestTimeout(Duration v) {
            requestTimeout = requireNonNull(v, "requestTimeout");
            return this;
        }

        /** TCP connect timeout; the WebSocket handshake gets its own 10 s. */
        public Builder connectTimeout(Duration v) {
            connectTimeout = requireNonNull(v, "connectTimeout");
            return this;
        }

        /** An application ping after this long without writing; zero sends none. */
        public Builder pingInterval(Duration v) {
            pingInterval = requireNonNull(v, "pingInterval");
            return this;
        }

        public Builder maxPendingRequests(int v) {
            maxPendingRequests = v;
            return this;
        }

        /** Messages handed to the handler and not processed yet beyond which the connection stops reading. */
        public Builder maxUnprocessed(int v) {
            maxUnprocessed = v;
            return this;
        }

        public Builder maxMessageBytes(int v) {
            maxMessageBytes = v;
            return this;
        }

        /**
         * The last seq the application processed in an earlier run, if it persists it: the first connection then
         * resumes with {@code since} and seqs up to it are never handed over again.
         */
        public Builder resumeFrom(long seq) {
            resumeFrom = seq;
            return this;
        }

        /**
         * Whether a reconnect carries {@code since=<last processed seq>} (the default). Without it the gateway resends
         * everything above the last ack it received and the client drops what it already handed over.
         */
        public Builder resumeWithSince(boolean v) {
            resumeWithSince = v;
            return this;
        }

        /**
         * The application's event-loop group, shared by many clients (NIO loops); by default the client makes a
         * one-thread group of its own and shuts it down on close. The group is never shut down by the client.
         */
        public Builder eventLoopGroup(EventLoopGroup v) {
            group = v;
            return this;
        }

        /**
         * Where the handler and the listener run; calls are serialized (one at a time, in order) whatever its
         * thread count. By default a thread of the client's own, shut down on close.
         */
        public Builder handlerExecutor(Executor v) {
            handlerExecutor = v;
            return this;
        }

        /** The client, not connected yet: call {@link SwitchboardClient#start()}. */
        public SwitchboardClient build() {
            if (!"ws".equalsIgnoreCase(endpoint.getScheme()) || endpoint.getHost() == null) {
                throw new IllegalArgumentException("endpoint: " + endpoint + " (expected ws://host:port/path)");
            }
            if (userId.isEmpty() || userId.length() > 128 || userId.chars().anyMatch(c -> c == '/'
                    || Character.isWhitespace(c) || Character.isISOControl(c))) {
                throw new IllegalArgumentException("userId: '" + userId
                        + "' (expected 1..128 characters, no '/', whitespace or control characters)");
            }
            positive("initial backoff", initialBackoff);
            positive("requestTimeout", requestTimeout);
            positive("connectTimeout", connectTimeout);
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("max backoff: " + maxBackoff + " (expected >= " + initialBackoff
                        + ')');
            }
            if (ackInterval.isNegative() || pingInterval.isNegative()) {
                throw new IllegalArgumentException("ackInterval " + ackInterval + ", pingInterval " + pingInterval
                        + " (expected >= 0)");
            }
            if (maxPendingRequests < 1 || maxUnprocessed < 2 || maxMessageBytes < 128) {
                throw new IllegalArgumentException("maxPendingRequests " + maxPendingRequests + ", maxUnprocessed "
                        + maxUnprocessed + ", maxMessageBytes " + maxMessageBytes + " (expected >= 1, >= 2, >= 128)");
            }
            if (resumeFrom < InboundSequence.UNKNOWN) {
                throw new IllegalArgumentException("resumeFrom: " + resumeFrom + " (expected >= 0, or -1 for none)");
            }
            return new SwitchboardClient(this);
        }

        private static void positive(String name, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " (expected > 0)");
            }
        }
    }
}
