package io.switchboard.gateway.cluster;

import static io.switchboard.gateway.testing.ClusterExtension.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.KillArgs;
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

    /**
     * While a node's channel is not subscribed (Redis restarting, or the subscription reconnecting after the command
     * connection), the route script finds nobody listening and holds messages in Redis even for users connected to
     * that node: the sender is told "stored offline". Nothing but a reconnect of the recipient would take them, so the
     * node re-announces its sessions when the channel is subscribed again, which delivers them.
     */
    @Test
    void whatWasHeldForAConnectedUserIsDeliveredOnceItsNodeIsSubscribedAgain() throws Exception {
        try (WsTestClient agent = cluster.agent(0, "agent-y")) {
            cluster.awaitAgentInPool("agent-y");
            // What the route script writes when PUBLISH reaches no subscriber: deadline|envelope JSON.
            final String held = "{\"code\":\"0\",\"from\":\"u9\",\"msg\":\"held while unsubscribed\","
                                + "\"msgId\":\"h1\",\"timestamp\":\"1\",\"to\":\"agent-y\",\"type\":\"normal\"}";
            cluster.redis().rpush(cluster.key("hold:agent-y"), (System.currentTimeMillis() + 600_000) + "|" + held);

            // Only the subscriptions drop: the command connection and so the heartbeat keep working, so the heartbeat's
            // own re-announce (after a failed beat) does not run; only the resubscription can find the entry.
            cluster.redis().clientKill(KillArgs.Builder.typePubsub());

            // Lettuce reconnects by itself (backoff up to 5 s), subscribes again and the node re-announces the agent.
            final Envelope delivered = agent.nextOfType("normal", Duration.ofSeconds(20));
            assertEquals("held while unsubscribed", delivered.msg());
            assertEquals("h1", delivered.msgId());
        }
    }

    /** Between retries while the nodes reconnect with their own backoff: there is no event to wait on. */
    private static boolean sleepBriefly() throws InterruptedException {
        Thread.sleep(200);
        return true;
    }
}
