package io.switchboard.gateway.testing;

import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.protocol.Envelope;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Steps the integration tests share: pairing, sending a chat message, checking its receipt and a server message. */
public final class Conversations {

    private Conversations() {}

    /** {@code user} sends {@code match}; asserts it is paired with {@code agentId} and that the agent was told. */
    public static void pair(WsTestClient user, String userId, WsTestClient agent, String agentId) {
        user.send(Envelope.client("match", null, "system", null));
        final Envelope matched = user.next("match", TIMEOUT);
        assertEquals("0", matched.code(), () -> "match failed: " + matched);
        assertEquals(agentId, matched.msg());
        final Envelope told = agent.next("match", TIMEOUT);
        assertEquals(userId, told.msg());
        assertEquals(agentId, told.to());
    }

    /** What {@link #floodUntilClosed} sent: where the held messages begin (or -1), and how many were sent. */
    public record Flood(int firstHeld, int sent) {}

    /**
     * Floods {@code to}, a peer that reads nothing, until the gateway closes it: {@code normal}s {@code s0},
     * {@code s1}, … of {@code text}, {@code batch} at a time, each asserted code "0"; once one is answered "stored
     * offline", one more every 100 ms until {@code closed} completes, or {@code maxSends} were sent. Without them a
     * peer whose socket took the held messages after all would stay writable, and never be closed.
     * {@link Flood#firstHeld} is the first of the trailing run of "stored offline" answers (-1 if none): what was
     * held earlier and then written live, as a message answered "push success", may be lost in the closed socket's
     * buffers (plain mode), what comes after it may not.
     */
    public static Flood floodUntilClosed(WsTestClient from, String to, String text, int batch, int maxSends,
                                         Future<?> closed) throws InterruptedException {
        int heldSince = -1;
        int sent = 0;
        while (sent < maxSends) {
            final int n = heldSince < 0 ? batch : 1;
            for (int i = 0; i < n; i++) {
                from.send(Envelope.client("normal", "s" + (sent + i), to, text));
            }
            for (int i = 0; i < n; i++) {
                final Envelope receipt = from.next("receipt", TIMEOUT);
                assertEquals("0", receipt.code(), () -> "receipt " + receipt);
                if (!"stored offline".equals(receipt.msg())) {
                    heldSince = -1;
                } else if (heldSince < 0) {
                    heldSince = Integer.parseInt(receipt.msgId().substring(1));
                }
            }
            sent += n;
            if (heldSince >= 0 && completesWithin(closed, 100)) {
                break;
            }
        }
        return new Flood(heldSince, sent);
    }

    private static boolean completesWithin(Future<?> future, long millis) throws InterruptedException {
        try {
            future.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            return true;
        } catch (TimeoutException e) {
            return false;
        }
    }

    /** Sends a {@code normal} and returns the receipt. */
    public static Envelope say(WsTestClient from, String msgId, String to, String msg) {
        from.send(Envelope.client("normal", msgId, to, msg));
        final Envelope receipt = from.next("receipt", TIMEOUT);
        assertEquals(msgId, receipt.msgId(), () -> "receipt for another message: " + receipt);
        return receipt;
    }

    /** Asserts a failed receipt with the exact text and reason of PROTOCOL.md §3. */
    public static void assertFailed(Envelope receipt, String reason, String text) {
        assertEquals("receipt", receipt.type(), () -> "not a receipt: " + receipt);
        assertEquals("1", receipt.code(), () -> "not a failure: " + receipt);
        assertEquals(reason, receipt.reason(), () -> "reason of " + receipt);
        assertEquals(text, receipt.msg(), () -> "msg of " + receipt);
        assertEquals("system", receipt.from());
    }

    /**
     * Every server-to-client message carries type, msgId, from, to, msg, code and timestamp, all strings (the
     * strict client codec already refused any non-string), the timestamp being the server's epoch milliseconds.
     */
    public static void assertServerMessage(Envelope e, String type, String code, String from, String to, String msg,
                                    long notBeforeMillis) {
        assertEquals(type, e.type(), () -> "type of " + e);
        assertEquals(code, e.code(), () -> "code of " + e);
        assertEquals(from, e.from(), () -> "from of " + e);
        assertEquals(to, e.to(), () -> "to of " + e);
        assertEquals(msg, e.msg(), () -> "msg of " + e);
        assertNotNull(e.msgId(), () -> "msgId of " + e);
        assertTrue(!e.msgId().isEmpty() && e.msgId().length() <= 64, () -> "msgId of " + e);
        assertNotNull(e.timestamp(), () -> "timestamp of " + e);
        assertTrue(e.timestamp().matches("[0-9]{13}"), () -> "timestamp of " + e);
        final long ts = Long.parseLong(e.timestamp());
        assertTrue(ts >= notBeforeMillis - 1000 && ts <= System.currentTimeMillis() + 1000,
                   () -> "timestamp " + ts + " is not the server's current epoch millis");
        if ("1".equals(code)) {
            assertNotNull(e.reason(), () -> "a failure without reason: " + e);
        } else {
            assertNull(e.reason(), () -> "a success with a reason: " + e);
        }
    }
}
