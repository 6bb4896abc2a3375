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
 * Redis goes away during a chat and comes back (restarted with its AOF, as production should run it): meanwhile a
 * same-node pair keeps chatting, new matches and cross-node messages fail with {@code UNAVAILABLE}; afterwards the
 * nodes have reconnected by themselves and everything works again. Needs a Redis of its own that it can restart (a
 * {@code redis-server} from the PATH), else it is skipped with the reason.
 */
class ClusterRedisRestartIT {

    private static final Duration STEP = Duration.ofSeconds(5);

    @RegisterExtension
    static final ClusterExtension cluster = ClusterExtension.of(2).ownRedis();

    @Test
    void sameNodePairsChatThroughAnOutageAndTheClusterRecovers() throws Exception {
        try (WsTestClient agent = cluster.agent(0, "agent-x");
             WsTestClient near = cluster.user(0, "near");
             WsTestClient far = cluster.user(1, "far");
             WsTestClient late = cluster.user(0, "late")) {
            cluster.awaitAgentInPool("agent-x");
            near.send(Envelope.client("match", "m", "system", null));
            assertEquals("agent-x", near.next(TIMEOUT).msg());
            far.send(Envelope.client("match", "m", "system", null));
            assertEquals("agent-x", far.next(TIMEOUT).msg());
            agent.next(TIMEOUT);
            agent.next(TIMEOUT);

            cluster.ownRedisServer().stop(); // SIGTERM: Redis flushes its AOF and exits

            // Same node, pairing known locally: no Redis needed.
            near.send(Envelope.client("normal", "n1", "agent-x", "still here"));
            assertEquals("still here", agent.nextOfType("normal", STEP).msg());
            assertEquals("push success", near.nextOfType("receipt", STEP).msg());
            agent.send(Envelope.client("normal", "n2", "near", "me too"));
            assertEquals("me too", near.nextOfType("normal", STEP).msg());
            // New matches fail with a clear reason.
            late.send(Envelope.client("match", "m", "system", null));
            final Envelope refused = late.nextOfType("match", STEP);
            assertEquals("UNAVAILABLE", refused.reason());
            assertEquals("服务暂不可用", refused.msg());
            // Across nodes the directory is needed: the sender is told, nothing is lost silently.
            far.send(Envelope.client("normal", "f1", "agent-x", "hello?"));
            assertEquals("UNAVAILABLE", far.nextOfType("receipt", STEP).reason());

            cluster.ownRedisServer().startAgain();
            // The nodes reconnect by themselves (backoff up to 5 s): retry until the cross-node path works again.
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            Envelope receipt;
            int attempt = 0;
            do {
                far.send(Envelope.client("normal", "r" + attempt++, "agent-x", "back?"));
                receipt = far.nextOfType("receipt", STEP);
            } while (!"push success".equals(receipt.msg()) && System.nanoTime() < deadline
                     && sleepBriefly());
            assertEquals("push success", receipt.msg(), receipt.toString());
            assertEquals("back?", agent.nextOfType("normal", STEP).msg());
            late.send(Envelope.client("match", "m2", "system", null));
            assertEquals("agent-x", late.nextOfType("match", STEP).msg());
        }
    }

    /** Between retries while the nodes reconnect with their own backoff: there is no event to wait on. */
    private static boolean sleepBriefly() throws InterruptedException {
        Thread.sleep(200);
        return true;
    }
}
