package io.switchboard.gateway.chat;

import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.ShardedSessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.validate.EnvelopeValidator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The single-node chat core wired as {@code GatewayServer} wires it (registry → hold → delivery → lifecycle and
 * rules), for unit tests, with {@link EmbeddedChannel}s as connections and a fixed wall clock. An EmbeddedChannel runs
 * its loop's tasks on the calling thread and its {@code inEventLoop()} is always true, so calling the core from the
 * test thread is calling it on the session's loop.
 *
 * <p>Build one per test ({@link #builder()}), and call {@link #finish()} after it: every channel made here must have
 * nothing left to read and nothing left unreleased.
 */
public final class ChatFixture {

    /** The wall clock of every envelope the core makes. */
    public static final long NOW_MILLIS = 1_665_630_374_482L;
    /** {@link #NOW_MILLIS} as the envelopes' {@code timestamp}. */
    public static final String TIMESTAMP = Long.toString(NOW_MILLIS);

    private final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 16);
    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
    private final Envelopes envelopes = new Envelopes(Clock.fixed(Instant.ofEpochMilli(NOW_MILLIS), ZoneOffset.UTC));
    private final InMemoryMatchService matches;
    private final MemoryHold hold;
    private final LocalDelivery delivery;
    private final Replacement replacement;
    private final SessionLifecycle lifecycle;
    private final ChatRules rules;
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    private ChatFixture(Builder b) {
        matches = new InMemoryMatchService(b.agentCapacity);
        hold = new MemoryHold(metrics, b.holdPerUser, b.holdTotal, b.holdTtl.toNanos(), b.nanoClock);
        delivery = new LocalDelivery(registry, hold, metrics, b.slowConsumerTimeout.toNanos());
        replacement = new Replacement(metrics);
        lifecycle = new SessionLifecycle(registry, matches, delivery, Presence.LOCAL, delivery, replacement,
                                         envelopes, metrics, b.events, b.grace);
        rules = new ChatRules(matches, delivery, envelopes, new EnvelopeValidator(b.maxMessageChars), metrics,
                              b.events);
    }

    /** A fixture with every setting at its default. */
    public static ChatFixture create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public ShardedSessionRegistry registry() {
        return registry;
    }

    public InMemoryMatchService matches() {
        return matches;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public Envelopes envelopes() {
        return envelopes;
    }

    public MemoryHold hold() {
        return hold;
    }

    public LocalDelivery delivery() {
        return delivery;
    }

    public Replacement replacement() {
        return replacement;
    }

    public SessionLifecycle lifecycle() {
        return lifecycle;
    }

    public ChatRules rules() {
        return rules;
    }

    /** A counter of {@link GatewayMetrics#snapshot()}. */
    public long counter(String name) {
        return metrics.snapshot().get(name);
    }

    /**
     * A session of {@code userId} on a new EmbeddedChannel with {@code handlers}, neither registered nor connected
     * (attach what its handlers need, then {@link #connect(Session)}).
     */
    public Session session(String userId, Role role, ChannelHandler... handlers) {
        final EmbeddedChannel ch = new EmbeddedChannel(handlers);
        channels.add(ch);
        return new Session(new ConnectionIdentity(userId, role), ch, NOW_MILLIS);
    }

    /** Connects {@code session} as its upgrade does: {@link SessionLifecycle#connected} on its loop. */
    public Session connect(Session session) {
        assertTrue(session.channel().eventLoop().inEventLoop(), "the test thread is the channel's loop");
        lifecycle.connected(session);
        return session;
    }

    /** A new connection of {@code userId}, connected through the {@link SessionLifecycle}. */
    public Session connect(String userId, Role role) {
        return connect(session(userId, role));
    }

    /**
     * A new connection of user {@code userId} that is only put in the registry (no replacement close, no drain, no
     * pairing state): for tests of delivery and the hold on their own.
     */
    public Session register(String userId) {
        final Session s = session(userId, Role.USER);
        registry.register(s);
        return s;
    }

    /** {@code user}'s {@code match}, with msgId {@code m-<userId>}; its answer, which is known at once. */
    public Envelope match(Session user) {
        return done(rules.match(user, Envelope.client("match", "m-" + user.userId(), "system", null)));
    }

    /** A user paired with an agent, both connected, the match notices consumed: {@code {user, agent}}. */
    public Session[] paired(String user, String agent) {
        final Session a = connect(agent, Role.AGENT);
        final Session u = connect(user, Role.USER);
        assertEquals(agent, match(u).msg());
        assertEquals(user, next(a).msg());
        return new Session[] {u, a};
    }

    /** A client's {@code normal}. */
    public static Envelope normal(String msgId, String to, String msg) {
        return Envelope.client("normal", msgId, to, msg);
    }

    /** Every field of {@code e}; a {@code null} {@code msgId} expects one made by the server. */
    public static void assertEnvelope(Envelope e, String type, String msgId, String from, String to, String msg,
                                      String code, String reason) {
        assertEquals(type, e.type(), "type");
        if (msgId != null) {
            assertEquals(msgId, e.msgId(), "msgId");
        } else {
            assertNotNull(e.msgId(), "a server msgId");
        }
        assertEquals(from, e.from(), "from");
        assertEquals(to, e.to(), "to");
        assertEquals(msg, e.msg(), "msg");
        assertEquals(code, e.code(), "code");
        assertEquals(TIMESTAMP, e.timestamp(), "timestamp");
        assertEquals(reason, e.reason(), "reason");
    }

    public static void assertFailedReceipt(Envelope e, String msgId, String to, Failure failure) {
        assertEnvelope(e, "receipt", msgId, "system", to, failure.text(), "1", failure.reason());
    }

    public static EmbeddedChannel ch(Session s) {
        return (EmbeddedChannel) s.channel();
    }

    /** The next message written to {@code s}'s connection; fails if there is none. */
    public static Envelope next(Session s) {
        final Object o = ch(s).readOutbound();
        assertNotNull(o, "expected a message on " + s);
        return (Envelope) o;
    }

    public static void assertNothingFor(Session s) {
        assertNull(ch(s).readOutbound(), "expected nothing on " + s);
    }

    /** The {@code msg} of every envelope written to {@code s} and not read yet, in order. */
    public static List<String> texts(Session s) {
        final List<String> texts = new ArrayList<>();
        for (Object o; (o = ch(s).readOutbound()) != null; ) {
            texts.add(((Envelope) o).msg());
        }
        return texts;
    }

    /** Sets {@code s}'s channel writable or not, as its outbound buffer's water marks would. */
    public static void setWritable(Session s, boolean writable) {
        s.channel().unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
        assertEquals(writable, s.channel().isWritable());
    }

    /** After each test: every channel has nothing left to read, and nothing left to release. */
    public void finish() {
        for (EmbeddedChannel ch : channels) {
            assertNull(ch.readOutbound(), "unexpected message left on " + ch);
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    /** Settings of the core; the defaults are those of the chat tests. */
    public static final class Builder {

        private int agentCapacity = 2;
        private int maxMessageChars = 4096;
        private Duration grace = Duration.ofSeconds(30);
        private int holdPerUser = 100;
        private int holdTotal = 1000;
        private Duration holdTtl = Duration.ofMinutes(10);
        private LongSupplier nanoClock = System::nanoTime;
        private Duration slowConsumerTimeout = Duration.ofSeconds(10);
        private ChatEvents events = ChatEvents.NONE;

        private Builder() {}

        /** Users an agent serves at once (default 2). */
        public Builder agentCapacity(int users) {
            this.agentCapacity = users;
            return this;
        }

        /** The longest {@code msg}, in characters (default 4096). */
        public Builder maxMessageChars(int chars) {
            this.maxMessageChars = chars;
            return this;
        }

        /** The reconnect grace period (default 30 s). */
        public Builder grace(Duration grace) {
            this.grace = grace;
            return this;
        }

        /** The hold's bounds (default 100 per user, 1000 in all). */
        public Builder holdBounds(int perUser, int total) {
            this.holdPerUser = perUser;
            this.holdTotal = total;
            return this;
        }

        /** How long a message is held (default 10 min). */
        public Builder holdTtl(Duration ttl) {
            this.holdTtl = ttl;
            return this;
        }

        /** The hold's clock (default {@code System::nanoTime}). */
        public Builder nanoClock(LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
            return this;
        }

        /** How long a recipient may stay unwritable before it is closed with 1013 (default 10 s). */
        public Builder slowConsumerTimeout(Duration timeout) {
            this.slowConsumerTimeout = timeout;
            return this;
        }

        public Builder events(ChatEvents events) {
            this.events = events;
            return this;
        }

        public ChatFixture build() {
            return new ChatFixture(this);
        }
    }
}
