package io.switchboard.gateway.chat;

import static io.switchboard.gateway.chat.ChatFixture.assertEnvelope;
import static io.switchboard.gateway.chat.ChatFixture.assertFailedReceipt;
import static io.switchboard.gateway.chat.ChatFixture.assertNothingFor;
import static io.switchboard.gateway.chat.ChatFixture.next;
import static io.switchboard.gateway.chat.ChatFixture.normal;
import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.ShardedSessionRegistry;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Failure;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ChatRules}: what {@code match}, {@code normal}, {@code leave} and {@code ping} do and answer, on the real
 * single-node core ({@link ChatFixture}) with {@code EmbeddedChannel}s as connections. Connects, disconnects and the
 * reconnect grace are {@link SessionLifecycleTest}'s.
 */
class ChatRulesTest {

    private static final int MAX_CHARS = 10;

    private final ChatFixture chat = ChatFixture.builder().maxMessageChars(MAX_CHARS).build();
    private final ChatRules rules = chat.rules();
    private final ShardedSessionRegistry registry = chat.registry();
    private final InMemoryMatchService matches = chat.matches();
    private final GatewayMetrics metrics = chat.metrics();

    @AfterEach
    void finish() {
        chat.finish();
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
        final Envelope receipt = done(rules.normal(p[0], normal("111", "agent1", "你好")));
        assertEnvelope(receipt, "receipt", "111", "system", "admin", "push success", "0", null);
        assertEnvelope(next(p[1]), "normal", "111", "admin", "agent1", "你好", "0", null);

        final Envelope reply = done(rules.normal(p[1], normal("222", "admin", "同学,你好")));
        assertEnvelope(reply, "receipt", "222", "system", "agent1", "push success", "0", null);
        assertEnvelope(next(p[0]), "normal", "222", "agent1", "admin", "同学,你好", "0", null);
        assertEquals(2, metrics.messagesRouted());
    }

    @Test
    void theServerStampsFromAndGivesAMsgIdWhenTheClientGaveNone() {
        final Session[] p = paired("u", "a");
        final Envelope spoofed = new Envelope("normal", null, "mallory", "a", "hi", null, null, null);
        final Envelope receipt = done(rules.normal(p[0], spoofed));
        final Envelope delivered = next(p[1]);
        assertEquals("u", delivered.from());
        assertNotNull(delivered.msgId());
        assertEquals(delivered.msgId(), receipt.msgId(), "delivery and receipt share the server msgId");
    }

    @Test
    void normalToAnUnpairedPeerIsNotPaired() {
        final Session a = connect("a", Role.AGENT);
        final Session u = connect("u", Role.USER);
        assertFailedReceipt(done(rules.normal(u, normal("1", "a", "hi"))), "1", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.normal(a, normal("2", "u", "hi"))), "2", "a", Failure.NOT_PAIRED);
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
        assertFailedReceipt(done(rules.normal(p[0], normal("1", "b", "hi"))), "1", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.normal(p[0], normal("2", "v", "hi"))), "2", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.normal(p[1], normal("3", "v", "hi"))), "3", "a", Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.normal(p[0], normal("4", null, "hi"))), "4", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.normal(p[0], normal("5", "", "hi"))), "5", "u", Failure.NOT_PAIRED);
        assertNothingFor(b);
        assertNothingFor(q[0]);
        assertNothingFor(q[1]);
        assertNothingFor(p[1]);
    }

    @Test
    void emptyOrMissingMsgIsEmptyMsg() {
        final Session[] p = paired("admin", "a");
        assertFailedReceipt(done(rules.normal(p[0], normal("1", "a", ""))), "1", "admin", Failure.EMPTY_MSG);
        assertFailedReceipt(done(rules.normal(p[0], normal("2", "a", null))), "2", "admin", Failure.EMPTY_MSG);
        assertEquals("消息内容为空", Failure.EMPTY_MSG.text());
        assertNothingFor(p[1]);
        // Also when not paired: the content check comes first.
        final Session lone = connect("lone", Role.USER);
        assertFailedReceipt(done(rules.normal(lone, normal("3", "a", ""))), "3", "lone", Failure.EMPTY_MSG);
    }

    @Test
    void tooLongMsgIsMsgTooLongAndTheLimitCountsCodePoints() {
        final Session[] p = paired("u", "a");
        assertFailedReceipt(done(rules.normal(p[0], normal("1", "a", "x".repeat(MAX_CHARS + 1)))), "1", "u",
                            Failure.MSG_TOO_LONG);
        assertEquals("消息内容过长", Failure.MSG_TOO_LONG.text());
        assertNothingFor(p[1]);

        assertEquals("push success", done(rules.normal(p[0], normal("2", "a", "x".repeat(MAX_CHARS)))).msg());
        assertEquals("x".repeat(MAX_CHARS), next(p[1]).msg());
        final String emoji = "😀".repeat(MAX_CHARS); // 20 UTF-16 units, 10 characters
        assertEquals("push success", done(rules.normal(p[0], normal("3", "a", emoji))).msg());
        assertEquals(emoji, next(p[1]).msg());
    }

    @Test
    void pingGetsPong() {
        final Session u = connect("u", Role.USER);
        final Envelope pong = rules.ping(u, Envelope.client("ping", "p1", null, null));
        assertEnvelope(pong, "pong", "p1", "system", "u", "pong", "0", null);
    }

    // ---- leave ----------------------------------------------------------------------------------------------------

    @Test
    void theUserLeavesAndTheAgentIsTold() {
        final Session[] p = paired("u", "a");
        final Envelope receipt = done(rules.leave(p[0], Envelope.client("leave", "L1", "a", null)));
        assertEnvelope(receipt, "receipt", "L1", "system", "u", "push success", "0", null);
        assertEnvelope(next(p[1]), "leave", "L1", "system", "a", "u", "0", null);
        assertNull(done(matches.agentOf("u")));
        assertEquals(Map.of("a", 0), matches.loads());
        assertFailedReceipt(done(rules.normal(p[0], normal("2", "a", "hi"))), "2", "u", Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.normal(p[1], normal("3", "u", "hi"))), "3", "a", Failure.NOT_PAIRED);
        assertEquals(1, metrics.snapshot().get("pairings.ended"));
    }

    @Test
    void aUserMayLeaveWithoutNamingItsAgent() {
        final Session[] p = paired("u", "a");
        assertEquals("0", done(rules.leave(p[0], Envelope.client("leave", null, null, null))).code());
        assertEnvelope(next(p[1]), "leave", null, "system", "a", "u", "0", null);
        assertNull(done(matches.agentOf("u")));
    }

    @Test
    void theAgentLeavesAndTheUserIsTold() {
        final Session[] p = paired("u", "a");
        assertEquals("0", done(rules.leave(p[1], Envelope.client("leave", "L2", "u", null))).code());
        assertEnvelope(next(p[0]), "leave", "L2", "system", "u", "a", "0", null);
        assertNull(done(matches.agentOf("u")));
        assertEquals("a", match(p[0]).msg(), "the user can match again");
        next(p[1]);
    }

    @Test
    void leaveWithoutAPairingIsNotPaired() {
        final Session[] p = paired("u", "a");
        final Session v = connect("v", Role.USER);
        assertFailedReceipt(done(rules.leave(v, Envelope.client("leave", "1", "a", null))), "1", "v",
                            Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.leave(v, Envelope.client("leave", "2", null, null))), "2", "v",
                            Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.leave(p[1], Envelope.client("leave", "3", null, null))), "3", "a",
                            Failure.NOT_PAIRED);
        assertFailedReceipt(done(rules.leave(p[1], Envelope.client("leave", "4", "v", null))), "4", "a",
                            Failure.NOT_PAIRED);
        assertEquals("a", done(matches.agentOf("u")), "the real pairing is untouched");
        assertNothingFor(p[0]);
        assertNothingFor(p[1]);
    }
}
