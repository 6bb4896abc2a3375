package io.switchboard.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.HandshakeRejected;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Identity rules (#16, {@code docs/PROTOCOL.md} §1): a userId has one role at a time, so a connection in the other
 * role ends the old role's state as if it had left for good (no ghost agent in the pool, no pairing with oneself);
 * and configured reserved userIds are refused like {@code system} and {@code *}.
 */
class IdentityIT {

    private static final Duration T = WsTestClient.TIMEOUT;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(b -> b.reconnectGrace(Duration.ofMinutes(1)));

    private WsTestClient connect(URI uri) {
        final WsTestClient c = gateway.connect(uri);
        c.send(Envelope.client("ping", "p", null, null));
        c.next("pong", T);
        return c;
    }

    private static Envelope match(WsTestClient user) {
        user.send(Envelope.client("match", "m", "system", null));
        return user.next("match", T);
    }

    @Test
    void anAgentReconnectingAsAUserLeavesThePoolAndItsUsersGetLeave() throws Exception {
        final WsTestClient agent = connect(gateway.agent("a1"));
        try (WsTestClient u1 = connect(gateway.user("u1"))) {
            assertEquals("a1", match(u1).msg());
            agent.next("match", T);
            try (WsTestClient asUser = connect(gateway.user("a1"))) {
                assertEquals(4001, agent.awaitClose(T).code());
                // Its pairings end as if the agent had left: u1 is told at once, no grace period.
                assertEquals("a1", u1.next("leave", T).msg());
                // The user-role session is never paired with itself, and nobody is paired with the ghost.
                final Envelope self = match(asUser);
                assertEquals("1", self.code(), self::toString);
                assertEquals("NO_AGENT", self.reason());
                try (WsTestClient u2 = connect(gateway.user("u2"))) {
                    assertEquals("NO_AGENT", match(u2).reason());
                }
                final JsonNode view = gateway.api().json("/api/v1/users/a1");
                assertEquals("user", view.get("role").asText());
                assertEquals(0, view.get("pairedWith").size(), view::toString);
                assertEquals(0, gateway.api().json("/api/v1/stats").get("availableAgents").asInt());
                assertEquals(0, gateway.api().json("/api/v1/users/u1").get("pairedWith").size());
            }
        }
    }

    @Test
    void anAgentInItsGracePeriodComingBackAsAUserEndsItsPairings() throws Exception {
        final WsTestClient agent = connect(gateway.agent("a1"));
        try (WsTestClient u1 = connect(gateway.user("u1"))) {
            assertEquals("a1", match(u1).msg());
            agent.next("match", T); // read, so that the notice is not held for a1's next connection
            final var closed = gateway.internals().serverSideClosed("a1");
            agent.close();
            closed.get(5, TimeUnit.SECONDS);
            u1.assertNoMessage(Duration.ofMillis(200)); // the grace period runs: no leave yet
            try (WsTestClient asUser = connect(gateway.user("a1"))) {
                assertEquals("a1", u1.next("leave", T).msg());
                assertEquals("NO_AGENT", match(asUser).reason());
            }
        }
    }

    @Test
    void aUserReconnectingAsAnAgentIsUnpairedAndJoinsThePool() throws Exception {
        try (WsTestClient ag = connect(gateway.agent("ag"))) {
            final WsTestClient u1 = connect(gateway.user("u1"));
            assertEquals("ag", match(u1).msg());
            ag.next("match", T);
            try (WsTestClient asAgent = connect(gateway.agent("u1"))) {
                assertEquals(4001, u1.awaitClose(T).code());
                assertEquals("u1", ag.next("leave", T).msg());
                assertEquals(0, gateway.api().json("/api/v1/users/ag").get("pairedWith").size());
                // A new user is matched with the least-loaded agent: u1 (load 0) or ag (load 0), never nobody.
                try (WsTestClient u2 = connect(gateway.user("u2"))) {
                    final Envelope m = match(u2);
                    assertEquals("0", m.code(), m::toString);
                    assertTrue(List.of("ag", "u1").contains(m.msg()), m::toString);
                }
            }
        }
    }

    @Test
    void configuredReservedUserIdsAreRefusedAtTheHandshakeAndOnTheApi() throws Exception {
        gateway.start(b -> b.reservedUserIds(List.of("admin", "ops")));
        for (String id : new String[] {"admin", "ops", "system", "*"}) {
            final HandshakeRejected r = assertThrows(HandshakeRejected.class,
                                                     () -> gateway.connect(gateway.user(id)).close());
            assertEquals(400, r.status(), id);
            assertEquals(400, gateway.api().post("/api/v1/push", "{\"to\":\"" + id + "\",\"msg\":\"x\"}")
                                         .statusCode(), id);
        }
        assertEquals(400, gateway.api().get("/api/v1/users/ops").statusCode());
        assertEquals(400, gateway.api().post("/api/v1/push", "{\"to\":[\"ok\",\"admin\"],\"msg\":\"x\"}")
                                     .statusCode());
        connect(gateway.user("administrator")).close();
    }
}
