package io.switchboard.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.switchboard.gateway.pipeline.ConnectionLimitHandler;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The capacity guard (#16): at {@code max-connections} new sockets are refused cleanly (an upgrade gets 503, and past
 * a small reserve the socket is closed at accept) while {@code /healthz} on both ports and the API keep answering.
 */
class CapacityIT {

    private static final int MAX = 3;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(b -> b.maxConnections(MAX));

    private WsTestClient connect(String userId) {
        final WsTestClient c = gateway.connect(gateway.user(userId));
        c.send(Envelope.client("ping", "p", null, null));
        c.next("pong", WsTestClient.TIMEOUT);
        return c;
    }

    private static int mainPort(String path) throws IOException {
        try (RawSocket raw = RawSocket.connect(gateway.address())) {
            raw.write("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            return raw.readResponse().status();
        }
    }

    @Test
    void atTheCapUpgradesAreRefusedAndHealthAndTheApiKeepAnswering() throws Exception {
        final List<WsTestClient> full = new ArrayList<>();
        for (int i = 0; i < MAX; i++) {
            full.add(connect("u" + i));
        }
        try (RawSocket raw = RawSocket.connect(gateway.address())) {
            raw.write(RawSocket.upgradeRequest("/pinter/imserver/one-too-many", "127.0.0.1"));
            assertEquals(503, raw.readResponse().status());
        }
        assertEquals(200, mainPort("/healthz"));
        assertEquals(200, mainPort("/readyz"));
        assertEquals(200, gateway.api().get("/healthz").statusCode());
        assertEquals(MAX, gateway.api().json("/api/v1/stats").get("connections").get("total").asInt());
        assertEquals(200, gateway.api().post("/api/v1/push", "{\"to\":\"u0\",\"msg\":\"still here\"}").statusCode());
        assertEquals("still here", full.get(0).next("normal", WsTestClient.TIMEOUT).msg());

        full.forEach(WsTestClient::close);
    }

    @Test
    void pastTheReserveSocketsAreClosedAtAcceptAndTheApiStillAnswers() throws Exception {
        final List<WsTestClient> full = new ArrayList<>();
        for (int i = 0; i < MAX; i++) {
            full.add(connect("u" + i));
        }
        final List<RawSocket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < ConnectionLimitHandler.HTTP_RESERVE; i++) {
                idle.add(RawSocket.connect(gateway.address()));
            }
            // The reserve is taken: checked with a request on the last idle one (answered), then one more socket.
            idle.get(idle.size() - 1).write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, idle.get(idle.size() - 1).readResponse().status());
            try (RawSocket refused = RawSocket.connect(gateway.address())) {
                assertThrows(IOException.class, () -> {
                    refused.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
                    refused.readResponse();
                });
            }
            assertEquals(200, gateway.api().get("/healthz").statusCode());
            assertEquals(1.0, gateway.api().metric("switchboard_connections_refused_total"), 0.0);
        } finally {
            for (RawSocket s : idle) {
                s.close();
            }
            full.forEach(WsTestClient::close);
        }
    }
}
