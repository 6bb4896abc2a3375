package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.GatewayServer;
import io.switchboard.protocol.Envelope;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The push API in a cluster: a push through one node's API reaches users connected to another node (acked, so
 * counted {@code delivered}), a list push shares the encoded frame with local recipients and sends the envelope to
 * remote ones, and a user connected elsewhere is neither unknown nor offline.
 */
class ClusterPushIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                                              .connectTimeout(Duration.ofSeconds(5)).build();
    private ClusterTestSupport cluster;
    private List<GatewayServer> nodes;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterTestSupport();
        nodes = cluster.startNodes(2, b -> b);
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void pushesReachUsersOnEveryNode() throws Exception {
        try (WsClient near = WsClient.user(cluster.clients, nodes.get(0).localAddress(), "push-near");
             WsClient far = WsClient.user(cluster.clients, nodes.get(1).localAddress(), "push-far")) {
            ClusterSessionIT.awaitTrue(() -> cluster.redis().get(cluster.prefix + "presence:push-far") != null,
                                       "presence of push-far");

            final JsonNode one = post(nodes.get(0), "{\"to\":\"push-far\",\"msg\":\"hello\",\"msgId\":\"p1\"}");
            assertCounts(one, 1, 0, 0);
            final Envelope got = far.next();
            assertEquals("hello", got.msg());
            assertEquals("p1", got.msgId());

            final JsonNode many = post(nodes.get(0),
                                       "{\"to\":[\"push-near\",\"push-far\",\"push-ghost\"],\"msg\":\"all\"}");
            assertCounts(many, 2, 0, 1);
            assertEquals("all", near.next().msg());
            assertEquals("all", far.next().msg());

            final JsonNode user = get(nodes.get(0), "/api/v1/users/push-far");
            assertTrue(user.get("online").asBoolean(), user.toString());
        }
    }

    private static void assertCounts(JsonNode res, int delivered, int held, int unknown) {
        assertEquals(delivered, res.get("delivered").asInt(), res.toString());
        assertEquals(held, res.get("held").asInt(), res.toString());
        assertEquals(unknown, res.get("unknown").asInt(), res.toString());
    }

    private JsonNode post(GatewayServer node, String body) throws Exception {
        return send(HttpRequest.newBuilder(api(node, "/api/v1/push")).header("Content-Type", "application/json")
                               .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private JsonNode get(GatewayServer node, String path) throws Exception {
        return send(HttpRequest.newBuilder(api(node, path)).GET());
    }

    private JsonNode send(HttpRequest.Builder request) throws Exception {
        final HttpResponse<String> res = http.send(request.timeout(Duration.ofSeconds(5)).build(),
                                                   HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode(), res.body());
        return JSON.readTree(res.body());
    }

    private static URI api(GatewayServer node, String path) {
        return URI.create("http://127.0.0.1:" + node.apiAddress().getPort() + path);
    }
}
