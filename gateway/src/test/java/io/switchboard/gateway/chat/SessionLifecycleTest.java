package io.switchboard.gateway.chat;

import static io.switchboard.gateway.chat.ChatFixture.assertEnvelope;
import static io.switchboard.gateway.chat.ChatFixture.assertNothingFor;
import static io.switchboard.gateway.chat.ChatFixture.ch;
import static io.switchboard.gateway.chat.ChatFixture.next;
import static io.switchboard.gateway.chat.ChatFixture.normal;
import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SessionLifecycle}: connects, disconnects, the reconnect grace, reconnects and 4001 replacement, on the real
 * single-node core ({@link ChatFixture}) with {@code EmbeddedChannel}s as connections.
 *
 * <p>Disconnects are {@code ch.pipeline().close()}, the path a real close takes (a handler's {@code ctx.close()},
 * the peer's FIN). {@code EmbeddedChannel.close()} itself cancels every task still scheduled on the channel's loop
 * right after the close, which would also cancel the reconnect-grace timer that the close future schedules; see
 * {@link #embeddedChannelCloseCancelsTheGraceTimer()}.
 */
class SessionLifecycleTest {

    private static final Duration GRACE = Duration.ofSeconds(30);

    private ChatFixture chat = ChatFixture.builder().grace(GRACE).build();

    @AfterEach
    void finish() {
        chat.finish();
    }

    private SessionLifecycle lifecycle() {
        return chat.lifecycle();
    }

    private ShardedSessionRegistry registry() {
        return chat.registry();
    }

    private InMemoryMatchService matches() {
        return chat.matches();
    }

    private GatewayMetrics metrics() {
        return chat.metrics();
    }

    private MemoryHold hold() {
        return chat.hold();
    }

    private Session connect(String userId, Role role) {
        return chat.connect(userId, role);
    }

    private Envelope match(Session user) {
        return chat.match(user);
    }

    private Session[] paired(String user, String agent) {
        return chat.paired(user, agent);
    }

    // ---- disconnects, grace, reconnects, replacement --------------------------------------------------------------

    @Test
    void aUserGoneLongerThanTheGraceLosesItsAgentWhichIsTold() {
        final Session[] p = paired("u", "a");
        final EmbeddedChannel old = ch(p[0]);
        old.pipeline().close();
        assertFalse(old.isOpen());
        assertNull(registry().find("u"));
        assertEquals(1, lifecycle().graceTimers());

        old.advanceTimeBy(GRACE.toMillis() - 1000, TimeUnit.MILLISECONDS);
        old.runScheduledPendingTasks();
        assertNothingFor(p[1]);
        assertEquals("a", done(matches().agentOf("u")), "still paired within the grace");

        old.advanceTimeBy(1001, TimeUnit.MILLISECONDS);
        old.runScheduledPendingTasks();
        assertEnvelope(next(p[1]), "leave", null, "system", "a", "u", "0", null);
        assertNull(done(matches().agentOf("u")));
        assertEquals(Map.of("a", 0), matches().loads());
        assertEquals(0, lifecycle().graceTimers());
        assertEquals(1, metrics().snapshot().get("pairings.ended"));
    }

    @Test
    void anAgentGoneLongerThanTheGraceReleasesItsUsersWhoAreTold() {
        final Session[] p = paired("u1", "a");
        final Session u2 = connect("u2", Role.USER);
        assertEquals("a", match(u2).msg());
        next(p[1]);
        final EmbeddedChannel agentChannel = ch(p[1]);
        agentChannel.pipeline().close();
        assertEquals(0, matches().availableAgents(), "an offline agent takes no new users");
        assertSame(MatchResult.NO_AGENT, matches().matchNow("u3"));

        agentChannel.advanceTimeBy(GRACE.toMillis() + 1, TimeUnit.MILLISECONDS);
        agentChannel.runScheduledPendingTasks();
        assertEnvelope(next(p[0]), "leave", null, "system", "u1", "a", "0", null);
        assertEnvelope(next(u2), "leave", null, "system", "u2", "a", "0", null);
        assertNull(done(matches().agentOf("u1")));
        assertNull(done(matches().agentOf("u2")));
        assertEquals(Map.of(), matches().loads());
        assertEquals(0, lifecycle().graceTimers());
    }

    @Test
    void aUserReconnectingWithinTheGraceKeepsItsAgentAndGetsWhatWasHeld() {
        final Session[] p = paired("u", "a");
        final EmbeddedChannel old = ch(p[0]);
        old.pipeline().close();

        // The agent writes while the user is away: held, and the receipt says so.
        final Envelope receipt = done(chat.rules().normal(p[1], normal("h1", "u", "there?")));
        assertEnvelope(receipt, "receipt", "h1", "system", "a", "stored offline", "0", null);
        done(chat.rules().normal(p[1], normal("h2", "u", "hello?")));
        assertEquals(2, hold().size("u"));

        old.advanceTimeBy(GRACE.toMillis() / 2, TimeUnit.MILLISECONDS);
        old.runScheduledPendingTasks();
        final Session back = connect("u", Role.USER);
        assertEquals(0, lifecycle().graceTimers());
        assertEquals("h1", next(back).msgId());
        assertEquals("h2", next(back).msgId());
        assertEquals(0, hold().size());

        // The old grace deadline passes: nothing happens, the pairing stands.
        old.advanceTimeBy(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        old.runScheduledPendingTasks();
        assertNothingFor(p[1]);
        assertEquals("a", done(matches().agentOf("u")));
        assertEquals("push success", done(chat.rules().normal(back, normal("n1", "a", "back"))).msg());
        assertEquals("back", next(p[1]).msg());
        assertEquals("push success", done(chat.rules().normal(p[1], normal("n2", "u", "welcome"))).msg());
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
        assertEquals("a", done(matches().agentOf("u")));
        assertEquals(1, matches().availableAgents());
        assertEquals("a", match(connect("v", Role.USER)).msg());
        assertEquals("v", next(back).msg());
    }

    @Test
    void anUnpairedDisconnectStartsNoTimerAndAnIdleAgentIsForgotten() {
        final Session a = connect("a", Role.AGENT);
        final Session u = connect("u", Role.USER);
        ch(u).pipeline().close();
        ch(a).pipeline().close();
        assertEquals(0, lifecycle().graceTimers());
        assertEquals(0, registry().size());
        assertEquals(Map.of(), matches().loads());
        assertEquals(2, metrics().snapshot().get("connections.closed"));
    }

    @Test
    void withoutAGracePeriodTheAgentIsToldAtOnce() {
        chat = ChatFixture.builder().grace(Duration.ZERO).build();
        final Session[] p = paired("u", "a");
        ch(p[0]).pipeline().close();
        assertEnvelope(next(p[1]), "leave", null, "system", "a", "u", "0", null);
        assertNull(done(matches().agentOf("u")));
        assertEquals(0, lifecycle().graceTimers());
    }

    @Test
    void theEndedPairingsNameWhoDidNotComeBack() {
        final List<String> left = new ArrayList<>();
        chat = ChatFixture.builder().grace(Duration.ZERO).events(new ChatEvents() {
            @Override
            public void left(String userId, String agentId, String by, boolean graceExpired) {
                left.add(userId + "/" + agentId + " by " + by + (graceExpired ? " (gone)" : ""));
            }
        }).build();
        final Session[] p = paired("u1", "a");
        final Session u2 = connect("u2", Role.USER);
        assertEquals("a", match(u2).msg());
        next(p[1]);
        ch(u2).pipeline().close();
        assertEquals(List.of("u2/a by u2 (gone)"), left);
        assertEnvelope(next(p[1]), "leave", null, "system", "a", "u2", "0", null);

        ch(p[1]).pipeline().close();
        assertEquals(List.of("u2/a by u2 (gone)", "u1/a by a (gone)"), left);
        assertEnvelope(next(p[0]), "leave", null, "system", "u1", "a", "0", null);
        assertEquals(2, metrics().snapshot().get("pairings.ended"));
    }

    @Test
    void anOlderConnectionWhoseUpgradeFinishesLastIsTheOneClosedWith4001() {
        // The client opened `older`, got its 101, then opened `newer`, whose registration ran first.
        final Session older = chat.session("u", Role.USER);
        final Session newer = chat.session("u", Role.USER);
        chat.connect(newer);
        chat.connect(older);

        final CloseWebSocketFrame close = ch(older).readOutbound();
        try {
            assertEquals(4001, close.statusCode());
        } finally {
            close.release();
        }
        assertFalse(ch(older).isOpen(), "the older connection is closed");
        assertTrue(ch(newer).isOpen(), "the newer connection stays");
        assertSame(newer, registry().find("u"));
        assertNull(ch(newer).readOutbound(), "the newer connection is told nothing");
        assertEquals(1, metrics().snapshot().get("connections.replaced"));
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
        assertSame(replacement, registry().find("u"));
        assertEquals(0, lifecycle().graceTimers(), "a replaced connection's close starts no grace timer");
        assertEquals("a", done(matches().agentOf("u")), "the pairing carries over");
        assertEquals(1, metrics().snapshot().get("connections.replaced"));

        assertEquals("push success", done(chat.rules().normal(p[1], normal("1", "u", "to new"))).msg());
        assertEquals("to new", next(replacement).msg());
    }

    @Test
    void connectedOffTheSessionsLoopTripsTheAssertion() throws Exception {
        final EventLoopGroup group = new DefaultEventLoopGroup(1);
        try {
            final Channel foreign = new LocalChannel();
            group.register(foreign).syncUninterruptibly();
            final Session s = new Session(new ConnectionIdentity("x", Role.USER), foreign, ChatFixture.NOW_MILLIS);
            assertFalse(foreign.eventLoop().inEventLoop());
            assertThrows(AssertionError.class, () -> lifecycle().connected(s));
            assertNull(registry().find("x"), "nothing happened");
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
        assertEquals(1, lifecycle().graceTimers());
        ch(p[0]).advanceTimeBy(GRACE.toMillis() * 2, TimeUnit.MILLISECONDS);
        assertEquals(-1, ch(p[0]).runScheduledPendingTasks(), "nothing is scheduled any more");
        assertNothingFor(p[1]);
        assertEquals("a", done(matches().agentOf("u")));
    }
}
