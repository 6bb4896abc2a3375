package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The default single-node gateway (no Redis) still plays {@code PROTOCOL.md} §4 and the offline hold after
 * {@code Router} and {@code MatchService} became asynchronous.
 */
class SingleNodeParityIT {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    @Test
    void protocolSessionAndHoldOnOneNode() throws Exception {
        assertFalse(gateway.internals().clustered());
        try (WsTestClient agent = gateway.connect(gateway.agent("agent"));
             WsTestClient admin = gateway.connect(gateway.user("admin"))) {
            admin.send(Envelope.client("match", "m1", "system", null));
            assertEquals("agent", admin.next(TIMEOUT).msg());
            assertEquals("admin", agent.next(TIMEOUT).msg());
            admin.send(Envelope.client("normal", "111", "agent", "你好"));
            assertEquals("你好", agent.next(TIMEOUT).msg());
            assertEquals("push success", admin.next(TIMEOUT).msg());
            admin.send(Envelope.client("normal", "333", "agent", ""));
            assertEquals("消息内容为空", admin.next(TIMEOUT).msg());
            final CompletableFuture<Void> adminGone = gateway.internals().serverSideClosed("admin");
            admin.close();
            adminGone.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            agent.send(Envelope.client("normal", "h1", "admin", "held"));
            final Envelope receipt = agent.next(TIMEOUT);
            assertEquals("stored offline", receipt.msg());
            try (WsTestClient back = gateway.connect(gateway.user("admin"))) {
                assertEquals("held", back.next(TIMEOUT).msg());
            }
        }
    }
}
