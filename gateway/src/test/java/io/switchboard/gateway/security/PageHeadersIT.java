package io.switchboard.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.net.InetSocketAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Page and answer headers of #16: the CSP names {@code frame-ancestors} ({@code 'self'} by default, configurable for
 * the customer's sites that embed the widget), every HTTP answer of both listeners carries
 * {@code X-Content-Type-Options: nosniff}, and without an API key {@code /dashboard/stats} shows counts only.
 */
class PageHeadersIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    private static RawSocket.HttpResponse get(InetSocketAddress address, String request) throws Exception {
        try (RawSocket raw = RawSocket.connect(address)) {
            raw.write(request);
            return raw.readResponse();
        }
    }

    private static String csp(String path) throws Exception {
        return get(gateway.address(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .header("content-security-policy");
    }

    @Test
    void pagesMayBeFramedBySameOriginOnlyByDefault() throws Exception {
        for (String page : new String[] {"/", "/agent", "/dashboard"}) {
            final String csp = csp(page);
            assertTrue(Arrays.asList(csp.split(";\\s*")).contains("frame-ancestors 'self'"), page + ": " + csp);
        }
    }

    @Test
    void frameAncestorsIsConfigurable() throws Exception {
        gateway.start(b -> b.frameAncestors("'self' https://shop.example.com"));
        assertTrue(csp("/").endsWith("frame-ancestors 'self' https://shop.example.com"), csp("/"));
    }

    @Test
    void everyAnswerOfBothListenersSaysNosniff() throws Exception {
        final InetSocketAddress main = gateway.address();
        final InetSocketAddress api = gateway.gateway().apiAddress();
        final String[][] cases = {
                {"main", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
                {"main", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
                {"main", "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
                {"main", "GET /dashboard/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
                {"main", "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
                {"main", "GET /pinter/imserver/u HTTP/1.1\r\nHost: x\r\n\r\n"},
                {"main", RawSocket.upgradeRequest("/pinter/imserver/system", "x")},
                {"main", "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\n\r\n"},
                {"main", "GARBAGE\r\n\r\n"},
                {"api", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
                {"api", "GET /api/v1/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
                {"api", "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
                {"api", "POST /api/v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"},
        };
        for (String[] c : cases) {
            final RawSocket.HttpResponse res = get(c[0].equals("main") ? main : api, c[1]);
            assertEquals("nosniff", res.header("x-content-type-options"), () -> c[1] + " -> " + res);
        }
        // The upgrade's 101 too.
        try (RawSocket raw = RawSocket.connect(main)) {
            raw.write(RawSocket.upgradeRequest("/pinter/imserver/u", "x"));
            final RawSocket.HttpResponse res = raw.readResponse();
            assertEquals(101, res.status());
            assertEquals("nosniff", res.header("x-content-type-options"));
        }
    }

    @Test
    void withoutAnApiKeyTheDashboardStatsShowCountsButNoAgentIds() throws Exception {
        try (WsTestClient agent = gateway.connect(gateway.agent("secret-agent-id"));
             WsTestClient user = gateway.connect(gateway.user("u"))) {
            user.send(Envelope.client("match", "m", "system", null));
            assertEquals("secret-agent-id", user.next("match", WsTestClient.TIMEOUT).msg());
            final RawSocket.HttpResponse res = get(gateway.address(),
                    "GET /dashboard/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertEquals(200, res.status());
            assertTrue(!res.body().contains("secret-agent-id"), res.body());
            final JsonNode agents = JSON.readTree(res.body()).get("agents");
            assertEquals(1, agents.get("connected").asInt());
            assertEquals(1, agents.get("totalLoad").asInt());
            assertEquals(0, agents.get("top").size());
        }
    }

    @Test
    void withAnApiKeyTheDashboardStatsNameTheAgents() throws Exception {
        gateway.start(b -> b.apiKey("k"));
        try (WsTestClient agent = gateway.connect(gateway.agent("named-agent"))) {
            agent.send(Envelope.client("ping", "p", null, null));
            agent.next("pong", WsTestClient.TIMEOUT);
            final RawSocket.HttpResponse res = get(gateway.address(),
                    "GET /dashboard/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nConnection: close\r\n\r\n");
            assertEquals(200, res.status());
            assertTrue(res.body().contains("named-agent"), res.body());
        }
    }
}
