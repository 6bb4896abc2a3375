package io.switchboard.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.switchboard.gateway.GatewayServer;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.protocol.Envelope;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The default single-node gateway (no Redis) still plays {@code PROTOCOL.md} §4 and the offline hold after
 * {@code Router} and {@code MatchService} became asynchronous.
 */
class SingleNodeParityIT {

    @Test
    void protocolSessionAndHoldOnOneNode() throws Exception {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (GatewayServer server = new GatewayServer(
                GatewayConfig.builder().host("127.0.0.1").port(0).ioThreads(2).build()).start()) {
            assertEquals(null, server.cluster());
            try (WsClient agent = WsClient.agent(group, server.localAddress(), "agent");
                 WsClient admin = WsClient.user(group, server.localAddress(), "admin")) {
                admin.send("match", "m1", "system", null);
                assertEquals("agent", admin.next().msg());
                assertEquals("admin", agent.next().msg());
                admin.send("normal", "111", "agent", "你好");
                assertEquals("你好", agent.next().msg());
                assertEquals("push success", admin.next().msg());
                admin.send("normal", "333", "agent", "");
                assertEquals("消息内容为空", admin.next().msg());
                admin.close();
                ClusterSessionIT.awaitTrue(() -> server.registry().find("admin") == null, "admin gone");
                agent.send("normal", "h1", "admin", "held");
                final Envelope receipt = agent.next();
                assertEquals("stored offline", receipt.msg());
                try (WsClient back = WsClient.user(group, server.localAddress(), "admin")) {
                    assertEquals("held", back.next().msg());
                }
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
