package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The push API in a cluster: a push through one node's API reaches users connected to another node (acked, so
 * counted {@code delivered}), a list push shares the encoded frame with local recipients and sends the envelope to
 * remote ones, and a user connected elsewhere is neither unknown nor offline.
 */
class ClusterPushIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2);

    @Test
    void pushesReachUsersOnEveryNode() throws Exception {
        try (WsTestClient near = cluster.user(0, "push-near");
             WsTestClient far = cluster.user(1, "push-far")) {
            cluster.awaitTrue(() -> cluster.redis().get(cluster.key("presence:push-far")) != null,
                              "presence of push-far");

            final JsonNode one = push("{\"to\":\"push-far\",\"msg\":\"hello\",\"msgId\":\"p1\"}");
            assertCounts(one, 1, 0, 0);
            final Envelope got = far.next(TIMEOUT);
            assertEquals("hello", got.msg());
            assertEquals("p1", got.msgId());

            final JsonNode many = push("{\"to\":[\"push-near\",\"push-far\",\"push-ghost\"],\"msg\":\"all\"}");
            assertCounts(many, 2, 0, 1);
            assertEquals("all", near.next(TIMEOUT).msg());
            assertEquals("all", far.next(TIMEOUT).msg());

            final JsonNode user = cluster.node(0).api(null).json("/api/v1/users/push-far");
            assertTrue(user.get("online").asBoolean(), user.toString());
        }
    }

    private static void assertCounts(JsonNode res, int delivered, int held, int unknown) {
        assertEquals(delivered, res.get("delivered").asInt(), res.toString());
        assertEquals(held, res.get("held").asInt(), res.toString());
        assertEquals(unknown, res.get("unknown").asInt(), res.toString());
    }

    /** POST /api/v1/push on node 0, which must answer 200. */
    private static JsonNode push(String body) throws Exception {
        final HttpResponse<String> res = cluster.node(0).api(null).post("/api/v1/push", body);
        assertEquals(200, res.statusCode(), res.body());
        return JSON.readTree(res.body());
    }
}
