package io.switchboard.gateway.chat;

import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ChatService} with the real registry, match service, router and offline store, and {@link EmbeddedChannel}s
 * as connections. An EmbeddedChannel runs its loop's tasks on the calling thread and its {@code inEventLoop()} is
 * always true, so calling the service from the test thread is calling it on the session's loop.
 *
 * <p>Disconnects are {@code ch.pipeline().close()}, the path a real close takes (a handler's {@code ctx.close()},
 * the peer's FIN). {@code EmbeddedChannel.close()} itself cancels every task still scheduled on the channel's loop
 * right after the close, which would also cancel the reconnect-grace timer that the close future schedules; see
 * {@link #embeddedChannelCloseCancelsTheGraceTimer()}.
 */
class ChatServiceTest {

    private static final long NOW_MILLIS = 1_665_630_374_482L;
    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final int MAX_CHARS = 10;
    private static final String TIMESTAMP = Long.toString(NOW_MILLIS);

    private final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 16);
    private final InMemoryMatchService matches = new InMemoryMatchService(2);
    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
    private final OfflineStore offline =
            new OfflineStore(registry, metrics, 100, 1000, TimeUnit.MINUTES.toNanos(10), System::nanoTime);
    private final LocalRouter router = new LocalRouter(registry, offline, metrics, TimeUnit.SECONDS.toNanos(10));
    private final Envelopes envelopes = new Envelopes(Clock.fixed(Instant.ofEpochMilli(NOW_MILLIS), ZoneOffset.UTC));
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    private ChatService chat = chat(GRACE);

    private ChatService chat(Duration grace) {
        return new ChatService(registry, matches, router, offline, envelopes, new EnvelopeValidator(MAX_CHARS),
                               metrics, grace);
    }

    @AfterEach
    void closeChannels() {
        for (EmbeddedChannel ch : channels) {
            assertNull(ch.readOutbound(), "unexpected message left on " + ch);
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    private Session connect(String userId, Role role) {
        final EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        final Session s = new Session(new ConnectionIdentity(userId, role), ch, NOW_MILLIS);
        assertTrue(ch.eventLoop().inEventLoop(), "the test thread is the channel's loop");
        chat.connected(s);
        return s;
    }

    private static EmbeddedChannel ch(Session s) {
        return (EmbeddedChannel) s.channel();
    }

    /** The next message written to {@code s}'s connection; fails if there is none. */
    private static Envelope next(Session s) {
        final Object o = ch(s).readOutbound();
        assertNotNull(o, "expected a message on " + s);
        return (Envelope) o;
    }

    private static void assertNothingFor(Session s) {
        assertNull(ch(s).readOutbound(), "expected nothing on " + s);
    }

    private static Envelope normal(String msgId, String to, String msg) {
        return Envelope.client("normal", msgId, to, msg);
    }

    private Envelope match(Session user) {
        return chat.match(user, Envelope.client("match", "m-" + user.userId(), "system", null))
                   .toCompletableFuture().getNow(null);
    }

    /** A user paired with an agent, both connected, the match notices consumed. */
    private Session[] paired(String user, String agent) {
        final Session a = connect(agent, Role.AGENT);
        final Session u = connect(user, Role.USER);
        assertEquals(agent, match(u).msg());
        assertEquals(user, next(a).msg());
        return new Session[] {u, a};
    }

    private static void assertEnvelope(Envelope e, String type, String msgId, String from, String to, String msg,
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

    private static void assertFailedReceipt(Envelope e, String msgId, String to, Failure failure) {
        assertEnvelope(e, "receipt", msgId, "system", to, failure.text(), "1", failure.reason());
    }

    // ---- match ----------------------------------------------------------------------------------------------------

    @Test
    void matchPairsTheUserAndTellsTheAgent() {
        final Session agent = connect("cf2137234f3943e3898df8fcd14f099a__mtx", Role.AGENT);
        final Session admin = connect("admin", Role.USER);
        final Envelope answer = match(admin);
        assertEnvelope(answer, "match", "m-admin", "system", "admin", agent.userId(), "0", null);
        assertEnvelope(next(agent), "match", null, "system", agent.userId(), "admin", "0", null);
        assertEquals(agent.userId(), done(matches.agentOf("admin")));
        assertEquals(1, metrics.snapshot().get("pairings.matched"));
        assertNothingFor(admin);
    }

    @Test
    void matchIsIdempotentAndTheAgentIsToldOnce() {
        final Session[] p = paired("u", "a");
        assertEnvelope(match(p[0]), "match", "m-u", "system", "u", "a", "0", null);
        assertNothingFor(p[1]);
        assertEquals(1, metrics.snapshot().get("pairings.matched"));
    }

    @Test
    void matchWithoutAgentsIsNoAgent() {
        final Session u = connect("u", Role.USER);
        assertEnvelope(match(u), "match", "m-u", "system", "u", Failure.NO_AGENT.text(), "1", "NO_AGENT");
        assertEquals(1, metrics.failures(Failure.NO_AGENT));
    }

    @Test
    void matchWhenEveryAgentIsFullIsNoAgent() {
        connect("a", Role.AGENT);
        final Session a = registry.find("a");
        for (String user : List.of("u1", "u2")) {
            assertEquals("a", match(connect(user, Role.USER)).msg());
            next(a);
        }
        final Envelope answer = match(connect("u3", Role.USER));
        assertEquals("1", answer.code());
        assertEquals("NO_AGENT", answer.reason());
        assertNothingFor(a);
    }

    @Test
    void anAgentCannotMatch() {
        final Session a = connect("a", Role.AGENT);
        connect("b", Role.AGENT);
        final Envelope answer = match(a);
        assertEquals("1", answer.code());
        assertEquals(Failure.NOT_A_USER.reason(), answer.reason());
        assertEquals(0, matches.pairings());
    }

    // ---- normal ---------------------------------------------------------------------------------------------------

    @Test
    void normalReachesThePeerAndTheSenderGetsPushSuccess() {
        final Session[] p = paired("admin", "agent1");
        final Envelope receipt = done(chat.normal(p[0], normal("111", "agent1", "你好")));
        assertEnvelope(receipt, "receipt", "111", "system", "admin", "push success", "0", null);
        assertEnvelope(next(p[1]), "normal", "111", "admin", "agent1", "你好", "0", null);

        final Envelope reply = done(chat.normal(p[1], normal("222", "admin", "同学,你好")));
        assertEnvelope(reply, "receipt", "222", "system", "agent1", "push success", "0", null);
        assertEnvelope(next(p[0]), "normal", "222", "agent1", "admin", "同学,你好", "0", null);
        assertEquals(2, metrics.messagesRouted());
    }

    @Test
    void theServerStampsFromAndGivesAMsgIdWhenTheClientGaveNone() {
        final Session[] p = paired("u", "a");
        final Envelope spoofed = new Envelope("normal", null, "mallory", "a", "hi", null, null, null);
        final Envelope receipt = done(chat.normal(p[0], spoofed));
        final Envelope delivered = next(p[1]);
        assertEquals("u", delivered.from());
        assertNotNull(delivered.msgId());
        assertEquals(delivered.msgId(), receipt.msgId(), "delivery and receipt share the server msgId");
    }

    @Test
    void normalToAnUnpairedPeerIsNotPaired() {
        final Session a = connect("a", Role.AGENT);
        final Session u = connect("u", Role.USER);
        assertFailedReceipt(done(chat.normal(u, normal("1", "a", "hi"))), "1", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.normal(a, normal("2", "u", "hi"))), "2", "a", Failure.NOT_PAIRED);
        assertEquals("未与对方建立会话", Failure.NOT_PAIRED.text());
        assertNothingFor(a);
        assertNothingFor(u);
        assertEquals(2, metrics.failures(Failure.NOT_PAIRED));
    }

    @Test
    void normalToSomeoneElseThanTheOwnPeerIsNotPaired() {
        final Session[] p = paired("u", "a");
        final Session[] q = paired("v", "c");
        final Session b = connect("b", Role.AGENT);
        assertFailedReceipt(done(chat.normal(p[0], normal("1", "b", "hi"))), "1", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.normal(p[0], normal("2", "v", "hi"))), "2", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.normal(p[1], normal("3", "v", "hi"))), "3", "a", Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.normal(p[0], normal("4", null, "hi"))), "4", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.normal(p[0], normal("5", "", "hi"))), "5", "u", Failure.NOT_PAIRED);
        assertNothingFor(b);
        assertNothingFor(q[0]);
        assertNothingFor(q[1]);
        assertNothingFor(p[1]);
    }

    @Test
    void emptyOrMissingMsgIsEmptyMsg() {
        final Session[] p = paired("admin", "a");
        assertFailedReceipt(done(chat.normal(p[0], normal("1", "a", ""))), "1", "admin", Failure.EMPTY_MSG);
        assertFailedReceipt(done(chat.normal(p[0], normal("2", "a", null))), "2", "admin", Failure.EMPTY_MSG);
        assertEquals("消息内容为空", Failure.EMPTY_MSG.text());
        assertNothingFor(p[1]);
        // Also when not paired: the content check comes first.
        final Session lone = connect("lone", Role.USER);
        assertFailedReceipt(done(chat.normal(lone, normal("3", "a", ""))), "3", "lone", Failure.EMPTY_MSG);
    }

    @Test
    void tooLongMsgIsMsgTooLongAndTheLimitCountsCodePoints() {
        final Session[] p = paired("u", "a");
        assertFailedReceipt(done(chat.normal(p[0], normal("1", "a", "x".repeat(MAX_CHARS + 1)))), "1", "u",
                            Failure.MSG_TOO_LONG);
        assertEquals("消息内容过长", Failure.MSG_TOO_LONG.text());
        assertNothingFor(p[1]);

        assertEquals("push success", done(chat.normal(p[0], normal("2", "a", "x".repeat(MAX_CHARS)))).msg());
        assertEquals("x".repeat(MAX_CHARS), next(p[1]).msg());
        final String emoji = "😀".repeat(MAX_CHARS); // 20 UTF-16 units, 10 characters
        assertEquals("push success", done(chat.normal(p[0], normal("3", "a", emoji))).msg());
        assertEquals(emoji, next(p[1]).msg());
    }

    @Test
    void pingGetsPong() {
        final Session u = connect("u", Role.USER);
        final Envelope pong = chat.ping(u, Envelope.client("ping", "p1", null, null));
        assertEnvelope(pong, "pong", "p1", "system", "u", "pong", "0", null);
    }

    // ---- leave ----------------------------------------------------------------------------------------------------

    @Test
    void theUserLeavesAndTheAgentIsTold() {
        final Session[] p = paired("u", "a");
        final Envelope receipt = done(chat.leave(p[0], Envelope.client("leave", "L1", "a", null)));
        assertEnvelope(receipt, "receipt", "L1", "system", "u", "push success", "0", null);
        assertEnvelope(next(p[1]), "leave", "L1", "system", "a", "u", "0", null);
        assertNull(done(matches.agentOf("u")));
        assertEquals(Map.of("a", 0), matches.loads());
        assertFailedReceipt(done(chat.normal(p[0], normal("2", "a", "hi"))), "2", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.normal(p[1], normal("3", "u", "hi"))), "3", "a", Failure.NOT_PAIRED);
        assertEquals(1, metrics.snapshot().get("pairings.ended"));
    }

    @Test
    void aUserMayLeaveWithoutNamingItsAgent() {
        final Session[] p = paired("u", "a");
        assertEquals("0", done(chat.leave(p[0], Envelope.client("leave", null, null, null))).code());
        assertEnvelope(next(p[1]), "leave", null, "system", "a", "u", "0", null);
        assertNull(done(matches.agentOf("u")));
    }

    @Test
    void theAgentLeavesAndTheUserIsTold() {
        final Session[] p = paired("u", "a");
        assertEquals("0", done(chat.leave(p[1], Envelope.client("leave", "L2", "u", null))).code());
        assertEnvelope(next(p[0]), "leave", "L2", "system", "u", "a", "0", null);
        assertNull(done(matches.agentOf("u")));
        assertEquals("a", match(p[0]).msg(), "the user can match again");
        next(p[1]);
    }

    @Test
    void leaveWithoutAPairingIsNotPaired() {
        final Session[] p = paired("u", "a");
        final Session v = connect("v", Role.USER);
        assertFailedReceipt(done(chat.leave(v, Envelope.client("leave", "1", "a", null))), "1", "v", Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.leave(v, Envelope.client("leave", "2", null, null))), "2", "v", Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.leave(p[1], Envelope.client("leave", "3", null, null))), "3", "a",
                            Failure.NOT_PAIRED);
        assertFailedReceipt(done(chat.leave(p[1], Envelope.client("leave", "4", "v", null))), "4", "a",
                            Failure.NOT_PAIRED);
        assertEquals("a", done(matches.agentOf("u")), "the real pairing is untouched");
        assertNothingFor(p[0]);
        assertNothingFor(p[1]);
    }

    // ---- disconnects, grace, reconnects, replacement --------------------------------------------------------------

    @Test
    void aUserGoneLongerThanTheGraceLosesItsAgentWhichIsTold() {
        final Session[] p = paired("u", "a");
        final EmbeddedChannel old = ch(p[0]);
        old.pipeline().close();
        assertFalse(old.isOpen());
        assertNull(registry.find("u"));
        assertEquals(1, chat.graceTimers());

        old.advanceTimeBy(GRACE.toMillis() - 1000, TimeUnit.MILLISECONDS);
        old.runScheduledPendingTasks();
        assertNothingFor(p[1]);
        assertEquals("a", done(matches.agentOf("u")), "still paired within the grace");

        old.advanceTimeBy(1001, TimeUnit.MILLISECONDS);
        old.runScheduledPendingTasks();
        assertEnvelope(next(p[1]), "leave", null, "system", "a", "u", "0", null);
        assertNull(done(matches.agentOf("u")));
        assertEquals(Map.of("a", 0), matches.loads());
        assertEquals(0, chat.graceTimers());
        assertEquals(1, metrics.snapshot().get("pairings.ended"));
    }

    @Test
    void anAgentGoneLongerThanTheGraceReleasesItsUsersWhoAreTold() {
        final Session[] p = paired("u1", "a");
        final Session u2 = connect("u2", Role.USER);
        assertEquals("a", match(u2).msg());
        next(p[1]);
        final EmbeddedChannel agentChannel = ch(p[1]);
        agentChannel.pipeline().close();
        assertEquals(0, matches.availableAgents(), "an offline agent takes no new users");
        assertSame(MatchResult.NO_AGENT, matches.matchNow("u3"));

        agentChannel.advanceTimeBy(GRACE.toMillis() + 1, TimeUnit.MILLISECONDS);
        agentChannel.runScheduledPendingTasks();
        assertEnvelope(next(p[0]), "leave", null, "system", "u1", "a", "0", null);
        assertEnvelope(next(u2), "leave", null, "system", "u2", "a", "0", null);
        assertNull(done(matches.agentOf("u1")));
        assertNull(done(matches.agentOf("u2")));
        assertEquals(Map.of(), matches.loads());
        assertEquals(0, chat.graceTimers());
    }

    @Test
    void aUserReconnectingWithinTheGraceKeepsItsAgentAndGetsWhatWasHeld() {
        final Session[] p = paired("u", "a");
        final EmbeddedChannel old = ch(p[0]);
        old.pipeline().close();

        // The agent writes while the user is away: held, and the receipt says so.
        final Envelope receipt = done(chat.normal(p[1], normal("h1", "u", "there?")));
        assertEnvelope(receipt, "receipt", "h1", "system", "a", "stored offline", "0", null);
        done(chat.normal(p[1], normal("h2", "u", "hello?")));
        assertEquals(2, offline.size("u"));

        old.advanceTimeBy(GRACE.toMillis() / 2, TimeUnit.MILLISECONDS);
        old.runScheduledPendingTasks();
        final Session back = connect("u", Role.USER);
        assertEquals(0, chat.graceTimers());
        assertEquals("h1", next(back).msgId());
        assertEquals("h2", next(back).msgId());
        assertEquals(0, offline.size());

        // The old grace deadline passes: nothing happens, the pairing stands.
        old.advanceTimeBy(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        old.runScheduledPendingTasks();
        assertNothingFor(p[1]);
        assertEquals("a", done(matches.agentOf("u")));
        assertEquals("push success", done(chat.normal(back, normal("n1", "a", "back"))).msg());
        assertEquals("back", next(p[1]).msg());
        assertEquals("push success", done(chat.normal(p[1], normal("n2", "u", "welcome"))).msg());
        assertEquals("welcome", next(back).msg());
    }

    @Test
    void anAgentReconnectingWithinTheGraceKeepsItsUsersAndIsMatchableAgain() {
        final Session[] p = paired("u", "a");
        ch(p[1]).pipeline().close();
        final Session back = connect("a", Role.AGENT);
        ch(p[1]).advanceTimeBy(GRACE.toMillis() * 2, TimeUnit.MILLISECONDS);
        ch(p[1]).runScheduledPendingTasks();
        assertNothingFor(p[0]);
        assertEquals("a", done(matches.agentOf("u")));
        assertEquals(1, matches.availableAgents());
        assertEquals("a", match(connect("v", Role.USER)).msg());
        assertEquals("v", next(back).msg());
    }

    @Test
    void anUnpairedDisconnectStartsNoTimerAndAnIdleAgentIsForgotten() {
        final Session a = connect("a", Role.AGENT);
        final Session u = connect("u", Role.USER);
        ch(u).pipeline().close();
        ch(a).pipeline().close();
        assertEquals(0, chat.graceTimers());
        assertEquals(0, registry.size());
        assertEquals(Map.of(), matches.loads());
        assertEquals(2, metrics.snapshot().get("connections.closed"));
    }

    @Test
    void withoutAGracePeriodTheAgentIsToldAtOnce() {
        chat = chat(Duration.ZERO);
        final Session[] p = paired("u", "a");
        ch(p[0]).pipeline().close();
        assertEnvelope(next(p[1]), "leave", null, "system", "a", "u", "0", null);
        assertNull(done(matches.agentOf("u")));
        assertEquals(0, chat.graceTimers());
    }

    @Test
    void aNewConnectionReplacesTheOldOneWith4001() {
        final Session[] p = paired("u", "a");
        final Session old = p[0];
        final Session replacement = connect("u", Role.USER);

        final CloseWebSocketFrame close = ch(old).readOutbound();
        try {
            assertEquals(4001, close.statusCode());
            assertEquals("replaced", close.reasonText());
        } finally {
            close.release();
        }
        assertFalse(ch(old).isOpen(), "the replaced connection is closed");
        assertSame(replacement, registry.find("u"));
        assertEquals(0, chat.graceTimers(), "a replaced connection's close starts no grace timer");
        assertEquals("a", done(matches.agentOf("u")), "the pairing carries over");
        assertEquals(1, metrics.snapshot().get("connections.replaced"));

        assertEquals("push success", done(chat.normal(p[1], normal("1", "u", "to new"))).msg());
        assertEquals("to new", next(replacement).msg());
    }

    @Test
    void connectedOffTheSessionsLoopTripsTheAssertion() throws Exception {
        final EventLoopGroup group = new DefaultEventLoopGroup(1);
        try {
            final Channel foreign = new LocalChannel();
            group.register(foreign).syncUninterruptibly();
            final Session s = new Session(new ConnectionIdentity("x", Role.USER), foreign, NOW_MILLIS);
            assertFalse(foreign.eventLoop().inEventLoop());
            assertThrows(AssertionError.class, () -> chat.connected(s));
            assertNull(registry.find("x"), "nothing happened");
            foreign.close().syncUninterruptibly();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void embeddedChannelCloseCancelsTheGraceTimer() {
        // Documents the test harness, not the gateway: EmbeddedChannel.close() cancels every task still scheduled on
        // its loop once the close is done, including the grace timer the close future just scheduled. A real event
        // loop does not, which is why the tests above close through the pipeline.
        final Session[] p = paired("u", "a");
        ch(p[0]).close();
        assertEquals(1, chat.graceTimers());
        ch(p[0]).advanceTimeBy(GRACE.toMillis() * 2, TimeUnit.MILLISECONDS);
        assertEquals(-1, ch(p[0]).runScheduledPendingTasks(), "nothing is scheduled any more");
        assertNothingFor(p[1]);
        assertEquals("a", done(matches.agentOf("u")));
    }
}
