package io.switchboard.gateway.pipeline;

import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.switchboard.gateway.chat.ChatFixture;
import io.switchboard.gateway.chat.InMemoryMatchService;
import io.switchboard.gateway.chat.TokenBucket;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.netty.InboundFrame;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EnvelopeDispatchHandlerTest {

    private static final int MAX_BAD = 3;

    private final ChatFixture chat = ChatFixture.builder().agentCapacity(5).build();
    private final InMemoryMatchService matches = chat.matches();
    private final GatewayMetrics metrics = chat.metrics();

    @AfterEach
    void finish() {
        chat.finish();
    }

    /** A connection of {@code userId} through {@code dispatch}, its session attached and connected. */
    private EmbeddedChannel connection(String userId, Role role, EnvelopeDispatchHandler dispatch) {
        final Session session = chat.session(userId, role, dispatch);
        final EmbeddedChannel ch = (EmbeddedChannel) session.channel();
        ch.attr(SessionAttributes.SESSION).set(session);
        chat.connect(session);
        return ch;
    }

    /** A connection of {@code userId} with its session registered, and a bucket of {@code burst} tokens. */
    private EmbeddedChannel connection(String userId, Role role, TokenBucket bucket) {
        return connection(userId, role, new EnvelopeDispatchHandler(chat.rules(), metrics, bucket, MAX_BAD));
    }

    private EmbeddedChannel connection(String userId, Role role) {
        return connection(userId, role, new TokenBucket(1000, 1000, System.nanoTime()));
    }

    /**
     * A bucket of {@code burst} tokens that never refills during the test: it believes "now" is an hour ahead, and
     * the dispatcher's earlier {@code System.nanoTime()} readings are a clock going backwards, which grants nothing.
     */
    private static TokenBucket frozenBucket(int burst) {
        return new TokenBucket(1, burst, System.nanoTime() + TimeUnit.HOURS.toNanos(1));
    }

    private static Envelope next(EmbeddedChannel ch) {
        final Object o = ch.readOutbound();
        assertNotNull(o, "expected an answer");
        return (Envelope) o;
    }

    private static void send(EmbeddedChannel ch, String type, String msgId, String to, String msg) {
        ch.writeInbound(InboundFrame.of(Envelope.client(type, msgId, to, msg)));
        ch.runPendingTasks(); // match answers continue on the loop
    }

    private static void assertBadMessage(Envelope e, String msgId) {
        assertEquals("error", e.type());
        assertEquals("1", e.code());
        assertEquals("BAD_MESSAGE", e.reason());
        assertEquals("消息格式错误", e.msg());
        assertEquals("system", e.from());
        assertEquals("u", e.to());
        if (msgId != null) {
            assertEquals(msgId, e.msgId());
        }
    }

    private static void assertClosedWith1008(EmbeddedChannel ch) {
        final CloseWebSocketFrame close = ch.readOutbound();
        try {
            assertEquals(1008, close.statusCode());
        } finally {
            close.release();
        }
        assertFalse(ch.isOpen());
    }

    @Test
    void malformedInputGetsAnErrorAndTheNthInARowCloses1008() {
        final EmbeddedChannel ch = connection("u", Role.USER);
        for (int i = 1; i < MAX_BAD; i++) {
            ch.writeInbound(InboundFrame.malformed("not a JSON object"));
            assertBadMessage(next(ch), null);
            assertTrue(ch.isOpen(), "strike " + i);
        }
        ch.writeInbound(InboundFrame.malformed("not a JSON object"));
        assertBadMessage(next(ch), null);
        assertClosedWith1008(ch);
        assertEquals(1, metrics.snapshot().get("connections.policy_closed"));
        assertEquals(MAX_BAD, metrics.failures(Failure.BAD_MESSAGE));
    }

    @Test
    void unknownAndServerOnlyTypesAreBadMessagesThatEchoAValidMsgId() {
        final EmbeddedChannel ch = connection("u", Role.USER);
        send(ch, "dance", "m1", null, null);
        assertBadMessage(next(ch), "m1");
        send(ch, "receipt", "m2", null, null);
        assertBadMessage(next(ch), "m2");
        send(ch, null, "x".repeat(65), null, null); // no type, and a msgId too long to echo
        final Envelope e = next(ch);
        assertBadMessage(e, null);
        assertNotEquals("x".repeat(65), e.msgId());
        assertClosedWith1008(ch);
    }

    @Test
    void aValidMessageResetsTheStrikes() {
        final EmbeddedChannel ch = connection("u", Role.USER);
        for (int round = 0; round < 3; round++) {
            for (int i = 1; i < MAX_BAD; i++) {
                ch.writeInbound(InboundFrame.malformed("garbage"));
                assertBadMessage(next(ch), null);
            }
            send(ch, "ping", "p" + round, null, null);
            assertEquals("pong", next(ch).type());
        }
        assertTrue(ch.isOpen());
        assertEquals(0, metrics.snapshot().get("connections.policy_closed"));
    }

    @Test
    void dispatchesEachTypeToItsAnswer() {
        final EmbeddedChannel agent = connection("a", Role.AGENT);
        final EmbeddedChannel user = connection("u", Role.USER);

        send(user, "match", "m1", "system", null);
        final Envelope matched = next(user);
        assertEquals("match", matched.type());
        assertEquals("a", matched.msg());
        assertEquals("m1", matched.msgId());
        assertEquals("u", next(agent).msg());

        send(user, "normal", "n1", "a", "你好");
        final Envelope receipt = next(user);
        assertEquals("receipt", receipt.type());
        assertEquals("push success", receipt.msg());
        assertEquals("n1", receipt.msgId());
        assertEquals("你好", next(agent).msg());

        send(user, "ping", "p1", null, null);
        assertEquals("pong", next(user).type());

        send(agent, "leave", "l1", "u", null);
        assertEquals("receipt", next(agent).type());
        final Envelope left = next(user);
        assertEquals("leave", left.type());
        assertEquals("a", left.msg());
    }

    @Test
    void aConnectionOverItsLimitIsNotReadFromUntilItsBucketRefills() {
        final EmbeddedChannel user = connection("u", Role.USER, frozenBucket(2));
        user.freezeTime();
        send(user, "ping", "p1", null, null);
        send(user, "ping", "p2", null, null);
        assertTrue(user.config().isAutoRead(), "within the burst the socket is read");
        next(user);
        next(user);
        send(user, "ping", "p3", null, null);
        assertRateLimited(next(user), "pong", "p3");
        assertFalse(user.config().isAutoRead(), "over the limit: no more reads");
        // What was already read is still answered.
        send(user, "ping", "p4", null, null);
        assertRateLimited(next(user), "pong", "p4");
        assertEquals(1, metrics.snapshot().get("connections.throttled"));

        // The frozen bucket needs a tenth of its burst (here 1 token, 1 s at 1/s) to resume reading.
        user.advanceTimeBy(999, TimeUnit.MILLISECONDS);
        user.runScheduledPendingTasks();
        assertFalse(user.config().isAutoRead());
        user.advanceTimeBy(2, TimeUnit.HOURS);
        user.runScheduledPendingTasks();
        assertTrue(user.config().isAutoRead(), "reading resumes once the bucket refilled");
    }

    @Test
    void overTheRateLimitEachTypeGetsItsOwnKindOfRateLimitedAnswer() {
        connection("a", Role.AGENT);
        final EmbeddedChannel user = connection("u", Role.USER, frozenBucket(1));
        send(user, "ping", "p1", null, null);
        assertEquals("0", next(user).code(), "the burst allows one");

        send(user, "ping", "p2", null, null);
        assertRateLimited(next(user), "pong", "p2");
        send(user, "normal", "n1", "a", "hi");
        assertRateLimited(next(user), "receipt", "n1");
        send(user, "match", "m1", "system", null);
        assertRateLimited(next(user), "match", "m1");
        send(user, "leave", "l1", "a", null);
        assertRateLimited(next(user), "receipt", "l1");
        assertEquals(4, metrics.failures(Failure.RATE_LIMITED));
        assertNull(done(matches.agentOf("u")), "a rate-limited match does nothing");
        assertTrue(user.isOpen(), "rate limiting does not close");

        // Malformed input is answered as such, not as rate limited, and still counts strikes.
        user.writeInbound(InboundFrame.malformed("garbage"));
        assertEquals("BAD_MESSAGE", next(user).reason());
    }

    @Test
    void usersAndAgentsGetTheBucketOfTheirRole() {
        // One token a second: nothing refills within the test; a user may send 1 at once, an agent 3.
        final GatewayConfig.RateLimit limits = new GatewayConfig.RateLimit(1, 1, 1, 3);
        final EmbeddedChannel agent = connectionWithLimits("a", Role.AGENT, limits);
        final EmbeddedChannel user = connectionWithLimits("u", Role.USER, limits);
        send(user, "ping", "p1", null, null);
        assertEquals("0", next(user).code());
        send(user, "ping", "p2", null, null);
        assertRateLimited(next(user), "pong", "p2");
        for (int i = 1; i <= 3; i++) {
            send(agent, "ping", "a" + i, null, null);
            assertEquals("0", next(agent).code(), "agent ping " + i);
        }
        send(agent, "ping", "a4", null, null);
        final Envelope limited = next(agent);
        assertEquals("RATE_LIMITED", limited.reason());
        assertEquals("a", limited.to());
    }

    private EmbeddedChannel connectionWithLimits(String userId, Role role, GatewayConfig.RateLimit limits) {
        return connection(userId, role, new EnvelopeDispatchHandler(chat.rules(), metrics, limits, MAX_BAD));
    }

    private static void assertRateLimited(Envelope e, String type, String msgId) {
        assertEquals(type, e.type());
        assertEquals(msgId, e.msgId());
        assertEquals("1", e.code());
        assertEquals("RATE_LIMITED", e.reason());
        assertEquals("发送过于频繁", e.msg());
        assertEquals("u", e.to());
    }
}
