package io.switchboard.gateway.routing;

import static io.switchboard.gateway.testing.Conversations.assertServerMessage;
import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PROTOCOL.md §4, the example session of the original service, step by step with its exact ids and texts. */
class ExampleSessionIT {

    static final String AGENT = "cf2137234f3943e3898df8fcd14f099a__mtx";
    static final String REPLY = "同学,你好,非常高兴为你服务,有什么需要我帮忙的呢?";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    @Test
    void exampleSession() {
        // 1. admin connects as a user; the agent is connected with ?role=agent.
        try (WsTestClient agent = gateway.connect(gateway.agent(AGENT));
             WsTestClient admin = gateway.connect(gateway.user("admin"))) {

            // 2. match
            final long before = System.currentTimeMillis();
            admin.sendText("{\"type\":\"match\",\"from\":\"admin\",\"to\":\"system\"}");
            final Envelope matched = admin.next("match", TIMEOUT);
            assertServerMessage(matched, "match", "0", "system", "admin", AGENT, before);
            assertNull(matched.reason());
            final Envelope agentMatched = agent.next("match", TIMEOUT);
            assertServerMessage(agentMatched, "match", "0", "system", AGENT, "admin", before);

            // 3. admin says hello; gets "push success"; the agent gets the message from admin.
            admin.sendText("{\"type\":\"normal\",\"from\":\"admin\",\"to\":\"" + AGENT + "\",\"msg\":\"你好\"}");
            final Envelope receipt = admin.next("receipt", TIMEOUT);
            assertServerMessage(receipt, "receipt", "0", "system", "admin", "push success", before);
            final Envelope hello = agent.next("normal", TIMEOUT);
            assertServerMessage(hello, "normal", "0", "admin", AGENT, "你好", before);
            // Without a client msgId, the delivery and its receipt still share one server id.
            assertEquals(receipt.msgId(), hello.msgId());

            // 4. the agent replies; admin gets it as a normal from the agent.
            agent.sendText("{\"type\":\"normal\",\"to\":\"admin\",\"msg\":\"" + REPLY + "\"}");
            final Envelope agentReceipt = agent.next("receipt", TIMEOUT);
            assertServerMessage(agentReceipt, "receipt", "0", "system", AGENT, "push success", before);
            final Envelope reply = admin.next("normal", TIMEOUT);
            assertServerMessage(reply, "normal", "0", AGENT, "admin", REPLY, before);

            // 5. an empty msg: a failed receipt with the exact text, nothing delivered.
            admin.sendText("{\"type\":\"normal\",\"to\":\"" + AGENT + "\",\"msg\":\"\"}");
            final Envelope empty = admin.next("receipt", TIMEOUT);
            assertServerMessage(empty, "receipt", "1", "system", "admin", "消息内容为空", before);
            assertEquals("EMPTY_MSG", empty.reason());
            agent.assertNoMessage(Duration.ofMillis(200));
            admin.assertNoMessage(Duration.ZERO);
        }
    }

    @Test
    void clientMsgIdIsEchoedOnEveryAnswer() {
        try (WsTestClient agent = gateway.connect(gateway.agent(AGENT));
             WsTestClient admin = gateway.connect(gateway.user("admin"))) {
            admin.send(Envelope.client("match", "m-1", "system", null));
            assertEquals("m-1", admin.next("match", TIMEOUT).msgId());
            agent.next("match", TIMEOUT);

            admin.send(Envelope.client("normal", "111", AGENT, "你好"));
            assertEquals("111", admin.next("receipt", TIMEOUT).msgId());
            assertEquals("111", agent.next("normal", TIMEOUT).msgId());
        }
    }
}
