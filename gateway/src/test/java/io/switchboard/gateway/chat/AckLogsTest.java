package io.switchboard.gateway.chat;

import static io.switchboard.gateway.chat.ChatFixture.next;
import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AckLogs} and the routing latency: a {@code normal} written live to an acknowledging connection is timed
 * once, as {@link LocalDelivery} times a plain one; its redelivery after a reconnect, held deliveries and notices
 * are not.
 */
class AckLogsTest {

    private final ChatFixture chat = ChatFixture.create();
    private final AckLogs acks = new AckLogs(ChatStore.MEMORY, chat.envelopes(), chat.metrics(), 10, 100, 60_000,
                                             () -> ChatFixture.NOW_MILLIS);

    @AfterEach
    void finish() {
        chat.finish();
    }

    private Session attach(String userId) {
        final Session s = chat.session(userId, Role.USER);
        done(acks.open(userId));
        acks.attach(s);
        return s;
    }

    private static Envelope normal(String msgId, String text) {
        return new Envelope("normal", msgId, "a", "u", text, "0", "1", null);
    }

    private long timed() {
        return chat.metrics().routingLatency().interval().total().count();
    }

    @Test
    void aLiveNormalIsTimedOnceAndNotAgainWhenItIsSentAgainOnReconnect() {
        final Session first = attach("u");
        assertEquals(Router.Delivery.LIVE, done(acks.deliver(first, normal("m1", "hi"))));
        ChatFixture.ch(first).runPendingTasks();
        assertEquals("1", next(first).seq());
        assertEquals(1, timed());

        acks.detach(first);
        final Session again = attach("u");
        assertEquals("hi", next(again).msg(), "the unacknowledged delivery comes again");
        assertEquals(1, timed());
    }

    @Test
    void heldDeliveriesAndNoticesAreNotTimed() {
        final Session first = attach("u");
        acks.detach(first);
        assertEquals(Router.Delivery.HELD, done(acks.deliver(first, normal("m1", "while away"))));
        final Session again = attach("u");
        assertEquals("while away", next(again).msg());
        done(acks.deliver(again, new Envelope("leave", "l1", "system", "u", "a", "0", "1", null)));
        ChatFixture.ch(again).runPendingTasks();
        assertEquals("leave", next(again).type());
        assertEquals(0, timed());
    }

    /**
     * Messages held before the connection existed (offline, or restored at start) keep their place: a delivery that
     * races with the connection's drain (it arrives between the registration and the drain) comes after them.
     */
    @Test
    void aDeliveryRacingWithTheDrainComesAfterWhatWasHeld() {
        final MemoryHold hold = new MemoryHold(chat.metrics(), 10, 100, 60_000_000_000L, System::nanoTime);
        acks.drawsFrom(hold);
        for (int i = 1; i <= 3; i++) {
            assertTrue(hold.add("u", normal("h" + i, "held " + i), hold.nextSeq()));
        }
        final Session session = attach("u");
        // The racing delivery runs first; the drain (absorbHeld) finds nothing left to move.
        assertEquals(Router.Delivery.LIVE, done(acks.deliver(session, normal("n1", "new"))));
        assertEquals(0, acks.absorbHeld(session));
        ChatFixture.ch(session).runPendingTasks();
        for (int i = 1; i <= 3; i++) {
            final Envelope e = next(session);
            assertEquals("held " + i, e.msg());
            assertEquals(Integer.toString(i), e.seq());
        }
        final Envelope racing = next(session);
        assertEquals("new", racing.msg());
        assertEquals("4", racing.seq());
        assertEquals(0, hold.size("u"));
    }
}
