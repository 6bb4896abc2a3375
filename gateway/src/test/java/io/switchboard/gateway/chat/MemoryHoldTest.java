package io.switchboard.gateway.chat;

import static io.switchboard.gateway.chat.ChatFixture.ch;
import static io.switchboard.gateway.chat.ChatFixture.texts;
import static io.switchboard.gateway.testing.Stages.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryHold}: its bounds, its order, the time to live and its accounting. What is held leaves it the way it
 * does in the gateway, drained to a connection by the {@link LocalDelivery} of the {@link ChatFixture}; the
 * delivery's own decisions (live or held, failed writes, slow consumers) are {@link LocalDeliveryTest}'s.
 */
class MemoryHoldTest {

    private static final long TTL = 60_000_000_000L;

    private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    private ChatFixture chat;

    @AfterEach
    void finish() {
        if (chat != null) {
            chat.finish();
        }
    }

    private MemoryHold store(int maxPerUser, int maxTotal) {
        chat = ChatFixture.builder()
                          .holdBounds(maxPerUser, maxTotal)
                          .holdTtl(Duration.ofNanos(TTL))
                          .nanoClock(clock::get)
                          .build();
        return chat.hold();
    }

    private static Envelope message(String to, String text) {
        return new Envelope("normal", text, "sender", to, text, "0", "1", null);
    }

    /** Holds {@code envelope} as a delivery to an offline user does: the next routing-order number, then the hold. */
    /** Holds as a routed message would be: in routing order; {@code HELD}, or {@code DROPPED} at a bound. */
    private static Router.Delivery hold(MemoryHold store, String userId, Envelope envelope) {
        return store.add(userId, envelope, store.nextSeq()) ? Router.Delivery.HELD : Router.Delivery.DROPPED;
    }

    private Session connect(String userId) {
        return chat.register(userId);
    }

    private int drainTo(Session session) {
        return chat.delivery().drainTo(session);
    }

    private long counter(String name) {
        return chat.counter(name);
    }

    @Test
    void holdsForAnOfflineUserAndDrainsInOrderOnReconnect() {
        final MemoryHold store = store(10, 100);
        assertFalse(store.has("bob"));
        assertEquals(Router.Delivery.HELD, hold(store, "bob", message("bob", "m1")));
        assertEquals(Router.Delivery.HELD, hold(store, "bob", message("bob", "m2")));
        assertTrue(store.add("bob", message("bob", "m3"), store.nextSeq()));
        assertTrue(store.has("bob"));
        assertEquals(3, store.size("bob"));
        assertEquals(3, store.size());

        final Session bob = connect("bob");
        assertEquals(3, drainTo(bob));
        assertEquals(List.of("m1", "m2", "m3"), texts(bob));
        assertFalse(store.has("bob"));
        assertEquals(0, store.size("bob"));
        assertEquals(0, store.size());
        assertEquals(3, counter("offline.delivered"));
        assertEquals(0, drainTo(bob), "nothing left");
        assertEquals(List.of(), texts(bob));
    }

    @Test
    void aReheldMessageGoesBackInItsPlaceAheadOfNewerOnes() {
        final MemoryHold store = store(10, 100);
        final long first = store.nextSeq();   // routed first, written live, and the write then failed
        final long second = store.nextSeq();
        assertTrue(store.add("bob", message("bob", "m2"), second));
        assertEquals(Router.Delivery.HELD, hold(store, "bob", message("bob", "m3")));
        assertTrue(store.add("bob", message("bob", "m1"), first));

        final Session bob = connect("bob");
        assertEquals(3, drainTo(bob));
        assertEquals(List.of("m1", "m2", "m3"), texts(bob));
    }

    @Test
    void addIfPendingQueuesOnlyBehindWhatIsHeld() {
        final MemoryHold store = store(10, 100);
        assertNull(store.addIfPending("bob", message("bob", "m0"), store.nextSeq()), "nothing held: nothing done");
        assertFalse(store.has("bob"));
        assertEquals(0, store.size());
        assertEquals(Router.Delivery.HELD, hold(store, "bob", message("bob", "m1")));
        assertEquals(Router.Delivery.HELD, store.addIfPending("bob", message("bob", "m2"), store.nextSeq()));
        assertEquals(2, store.size("bob"));
        assertEquals(List.of("m1", "m2"),
                     store.takeAll("bob").stream().map(h -> h.envelope().msg()).toList(), "take: oldest first");
        assertFalse(store.has("bob"));
        assertEquals(0, store.size());
        assertEquals(List.of(), store.takeAll("bob"));
    }

    @Test
    void perUserBoundDropsTheOldestAndCountsThem() {
        final MemoryHold store = store(3, 100);
        for (int i = 1; i <= 5; i++) {
            assertEquals(Router.Delivery.HELD, hold(store, "bob", message("bob", "m" + i)));
        }
        assertEquals(3, store.size("bob"));
        assertEquals(3, store.size());
        assertEquals(2, counter("offline.dropped"));
        final Session bob = connect("bob");
        drainTo(bob);
        assertEquals(List.of("m3", "m4", "m5"), texts(bob));
        assertEquals(0, store.size());
    }

    @Test
    void globalBoundRefusesNewMessages() {
        final MemoryHold store = store(3, 4);
        for (int i = 1; i <= 3; i++) {
            assertEquals(Router.Delivery.HELD, hold(store, "bob", message("bob", "b" + i)));
        }
        assertEquals(Router.Delivery.HELD, hold(store, "carol", message("carol", "c1")));
        assertEquals(Router.Delivery.DROPPED, hold(store, "carol", message("carol", "c2")));
        assertEquals(Router.Delivery.DROPPED, hold(store, "dave", message("dave", "d1")));
        assertFalse(store.has("dave"), "a refused first message leaves no empty queue behind");
        assertEquals(0, store.size("dave"));
        assertEquals(4, store.size());
        assertEquals(2, counter("offline.dropped"));

        // Draining frees room for others.
        final Session carol = connect("carol");
        drainTo(carol);
        assertEquals(List.of("c1"), texts(carol));
        assertEquals(3, store.size());
        assertEquals(Router.Delivery.HELD, hold(store, "dave", message("dave", "d2")));
        assertEquals(4, store.size());
    }

    @Test
    void expiredMessagesAreNotDeliveredOnDrain() {
        final MemoryHold store = store(10, 100);
        hold(store, "bob", message("bob", "old"));
        clock.addAndGet(TTL / 2);
        hold(store, "bob", message("bob", "new"));
        clock.addAndGet(TTL / 2 + 1); // "old" is now past its TTL, "new" is not
        final Session bob = connect("bob");
        assertEquals(1, drainTo(bob));
        assertEquals(List.of("new"), texts(bob));
        assertEquals(1, counter("offline.expired"));
        assertEquals(1, counter("offline.delivered"));
        assertEquals(0, store.size());
    }

    @Test
    void aMessageExactlyAtItsTtlIsStillDelivered() {
        final MemoryHold store = store(10, 100);
        hold(store, "bob", message("bob", "edge"));
        clock.addAndGet(TTL);
        final Session bob = connect("bob");
        assertEquals(1, drainTo(bob));
        assertEquals(List.of("edge"), texts(bob));
    }

    @Test
    void sweepDropsExpiredMessagesAndKeepsTheRest() {
        final MemoryHold store = store(10, 100);
        hold(store, "bob", message("bob", "b1"));
        hold(store, "carol", message("carol", "c1"));
        clock.addAndGet(TTL / 2);
        hold(store, "bob", message("bob", "b2"));
        assertEquals(3, store.size());

        store.sweep(); // nothing expired yet
        assertEquals(3, store.size());
        assertEquals(0, counter("offline.expired"));

        clock.addAndGet(TTL / 2 + 1);
        store.sweep();
        assertEquals(1, store.size());
        assertEquals(1, store.size("bob"));
        assertFalse(store.has("carol"), "an emptied queue is forgotten");
        assertEquals(2, counter("offline.expired"));

        clock.addAndGet(TTL);
        store.sweep();
        assertEquals(0, store.size());
        assertFalse(store.has("bob"));
        assertEquals(3, counter("offline.expired"));
    }

    @Test
    void sizeAccountingStaysExactThroughEveryPath() {
        final MemoryHold store = store(2, 5);
        int dropped = 0;
        for (int round = 0; round < 20; round++) {
            final String user = "u" + (round % 4);
            if (hold(store, user, message(user, "m" + round)) == Router.Delivery.DROPPED) {
                dropped++;
            }
            assertEquals(sumOfQueues(store), store.size(), "round " + round);
            assertTrue(store.size() <= 5);
            if (round % 7 == 6) {
                clock.addAndGet(TTL + 1);
                store.sweep();
                assertEquals(0, store.size());
                assertEquals(0, sumOfQueues(store));
            }
        }
        assertTrue(dropped > 0, "the global bound was reached");
        final FailingWrites writes = new FailingWrites();
        final Session u1 = chat.session("u1", Role.USER, writes);
        chat.registry().register(u1);
        drainTo(u1);
        texts(u1);
        // The failed-write path is counted too: a live write that fails is held again.
        writes.failNext(1);
        assertEquals(Router.Delivery.LIVE, done(chat.delivery().deliver("u1", message("u1", "late"))));
        assertEquals(sumOfQueues(store), store.size());
        assertEquals(1, store.size("u1"));
        // u1 is connected and writable: the re-hold schedules a drain on its loop rather than waiting for a reconnect.
        ch(u1).runPendingTasks();
        assertEquals(List.of("late"), texts(u1));
        assertEquals(0, store.size("u1"));
        assertEquals(sumOfQueues(store), store.size());
    }

    private static int sumOfQueues(MemoryHold store) {
        int n = 0;
        for (int u = 0; u < 4; u++) {
            n += store.size("u" + u);
        }
        return n;
    }

    @Test
    void aHoldBeingHandedOverKeepsWhatArrivesMeanwhileBehindItUntilTheLastRoundFindsItEmpty() {
        final MemoryHold store = store(10, 100);
        hold(store, "u1", message("u1", "a"));
        assertTrue(store.claimHandOver("u1"));
        assertFalse(store.claimHandOver("u1"), "one caller hands a hold over at a time");

        final List<MemoryHold.Held> first = store.peek("u1");
        // Arriving while the first round is on its way: queued behind it, not routed past it.
        assertEquals(Router.Delivery.HELD, store.addIfPending("u1", message("u1", "b"), store.nextSeq()));
        assertTrue(store.takeAll("u1").isEmpty(), "a drain takes nothing from a hold being handed over");
        assertFalse(store.handedOver("u1", first), "b came meanwhile: another round");

        final List<MemoryHold.Held> second = store.peek("u1");
        assertEquals(List.of("b"), second.stream().map(h -> h.envelope().msg()).toList());
        assertTrue(store.handedOver("u1", second));
        assertFalse(store.has("u1"), "an emptied hold leaves");
        assertEquals(0, store.size());
        assertNull(store.addIfPending("u1", message("u1", "c"), store.nextSeq()), "nothing to queue behind any more");
        assertTrue(store.claimHandOver("u1"), "the claim ended with the last round");
    }

    @Test
    void anEmptyClaimedHoldStaysUntilReleasedAndThenGoesToWhoeverDrains() {
        final MemoryHold store = store(10, 100);
        assertTrue(store.claimHandOver("u1"));
        assertTrue(store.has("u1"), "claimed, the hold exists even empty: new messages queue behind it");
        store.sweep();
        assertTrue(store.has("u1"), "the sweep leaves a claimed hold");
        assertEquals(Router.Delivery.HELD, store.addIfPending("u1", message("u1", "a"), store.nextSeq()));
        store.releaseHandOver("u1");
        assertEquals(List.of("a"), store.takeAll("u1").stream().map(h -> h.envelope().msg()).toList());
        assertFalse(store.has("u1"));
    }
}
