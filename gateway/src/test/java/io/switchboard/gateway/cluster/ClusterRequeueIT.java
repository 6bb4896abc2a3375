package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.gateway.testing.ClusterExtension;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An agent that does not come back within its grace period sends the users who asked to wait back to the head of
 * the shared queue ({@code PROTOCOL.md} §6), ahead of those already waiting; an agent connecting on another node
 * takes them first.
 */
class ClusterRequeueIT {

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(3).with(
            b -> b.agentCapacity(1).reconnectGrace(Duration.ofMillis(300)));

    @Test
    void usersOfAnAgentGoneForGoodGoBackToTheHead() throws Exception {
        final WsTestClient gone = cluster.agent(0, "rq-gone");
        cluster.awaitAgentInPool("rq-gone");
        final WsTestClient asked = cluster.user(1, "rq-asked");
        asked.send(Envelope.client("match", "m", "system", "queue"));
        assertEquals("rq-gone", asked.next("match", TIMEOUT).msg());
        final WsTestClient waiting = cluster.user(2, "rq-waiting");
        waiting.send(Envelope.client("match", "q", "system", "queue"));
        assertEquals("1", waiting.next("queue", TIMEOUT).msg());

        gone.close();
        assertEquals("rq-gone", asked.next("leave", TIMEOUT).msg());
        assertEquals("1", asked.next("queue", TIMEOUT).msg());
        assertEquals("2", waiting.next("queue", TIMEOUT).msg());

        final WsTestClient next = cluster.agent(2, "rq-next");
        assertEquals("rq-asked", next.next("match", TIMEOUT).msg());
        assertEquals("rq-next", asked.next("match", TIMEOUT).msg());
        assertEquals("1", waiting.next("queue", TIMEOUT).msg());
    }
}
