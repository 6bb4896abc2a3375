package io.switchboard.gateway.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.session.Session;
import io.switchboard.gateway.session.ShardedSessionRegistry;
import io.switchboard.protocol.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OfflineStoreTest {

    private static final long TTL = 60_000_000_000L;

    private final ShardedSessionRegistry registry = new ShardedSessionRegistry(4, 16);
    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
    private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        for (EmbeddedChannel ch : channels) {
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    private OfflineStore store(int maxPerUser, int maxTotal) {
        return new OfflineStore(registry, metrics, maxPerUser, maxTotal, TTL, clock::get);
    }

    private static Envelope message(String to, String text) {
        return new Envelope("normal", text, "sender", to, text, "0", "1", null);
    }

    private Session connect(String userId) {
        final EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        final Session s = new Session(new ConnectionIdentity(userId, Role.USER), ch, 0L);
        registry.register(s);
        return s;
    }

    private static List<String> readTexts(Session s) {
        final EmbeddedChannel ch = (EmbeddedChannel) s.channel();
        final List<String> texts = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            texts.add(((Envelope) o).msg());
        }
        return texts;
    }

    private long counter(String name) {
        return metrics.snapshot().get(name);
    }

    @Test
    void holdsForAnOfflineUserAndDrainsInOrderOnReconnect() {
        final OfflineStore store = store(10, 100);
        assertFalse(store.hasPending("bob"));
        assertEquals(Router.Delivery.HELD, store.holdOrDeliver("bob", message("bob", "m1"), store.nextSeq()));
        assertEquals(Router.Delivery.HELD, store.holdOrDeliver("bob", message("bob", "m2"), store.nextSeq()));
        store.rehold("bob", message("bob", "m3"), store.nextSeq());
        assertTrue(store.hasPending("bob"));
        assertEquals(3, store.size("bob"));
        assertEquals(3, store.size());

        final Session bob = connect("bob");
        assertEquals(3, store.drainTo(bob));
        assertEquals(List.of("m1", "m2", "m3"), readTexts(bob));
        assertFalse(store.hasPending("bob"));
        assertEquals(0, store.size("bob"));
        assertEquals(0, store.size());
        assertEquals(3, counter("offline.delivered"));
        assertEquals(0, store.drainTo(bob), "nothing left");
        assertEquals(List.of(), readTexts(bob));
    }

    @Test
    void aReheldMessageGoesBackInItsPlaceAheadOfNewerOnes() {
        final OfflineStore store = store(10, 100);
        final long first = store.nextSeq();   // routed first, written live, and the write then failed
        final long second = store.nextSeq();
        assertEquals(Router.Delivery.HELD, store.holdOrDeliver("bob", message("bob", "m2"), second));
        assertEquals(Router.Delivery.HELD, store.holdOrDeliver("bob", message("bob", "m3"), store.nextSeq()));
        store.rehold("bob", message("bob", "m1"), first);

        final Session bob = connect("bob");
        assertEquals(3, store.drainTo(bob));
        assertEquals(List.of("m1", "m2", "m3"), readTexts(bob));
    }

    @Test
    void deliversLiveWhenTheUserIsRegisteredAndWritable() {
        final OfflineStore store = store(10, 100);
        final Session bob = connect("bob");
        assertEquals(Router.Delivery.LIVE, store.holdOrDeliver("bob", message("bob", "hi"), store.nextSeq()));
        assertEquals(List.of("hi"), readTexts(bob));
        assertEquals(0, store.size());
        assertFalse(store.hasPending("bob"));
    }

    @Test
    void holdsForARegisteredUserThatIsNotWritable() {
        final OfflineStore store = store(10, 100);
        final Session bob = connect("bob");
        final EmbeddedChannel ch = (EmbeddedChannel) bob.channel();
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        assertFalse(ch.isWritable());
        assertEquals(Router.Delivery.HELD, store.holdOrDeliver("bob", message("bob", "m1"), store.nextSeq()));
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        // Something is held now: a new message queues behind it rather than overtaking it.
        assertEquals(Router.Delivery.HELD, store.holdOrDeliver("bob", message("bob", "m2"), store.nextSeq()));
        assertEquals(List.of(), readTexts(bob));
        assertEquals(2, store.drainTo(bob));
        assertEquals(List.of("m1", "m2"), readTexts(bob));
    }

    @Test
    void perUserBoundDropsTheOldestAndCountsThem() {
        final OfflineStore store = store(3, 100);
        for (int i = 1; i <= 5; i++) {
            assertEquals(Router.Delivery.HELD, store.holdOrDeliver("bob", message("bob", "m" + i), store.nextSeq()));
        }
        assertEquals(3, store.size("bob"));
        assertEquals(3, store.size());
        assertEquals(2, counter("offline.dropped"));
        final Session bob = connect("bob");
        store.drainTo(bob);
        assertEquals(List.of("m3", "m4", "m5"), readTexts(bob));
        assertEquals(0, store.size());
    }

    @Test
    void globalBoundRefusesNewMessages() {
        final OfflineStore store = store(3, 4);
        for (int i = 1; i <= 3; i++) {
            assertEquals(Router.Delivery.HELD, store.holdOrDeliver("bob", message("bob", "b" + i), store.nextSeq()));
        }
        assertEquals(Router.Delivery.HELD, store.holdOrDeliver("carol", message("carol", "c1"), store.nextSeq()));
        assertEquals(Router.Delivery.DROPPED, store.holdOrDeliver("carol", message("carol", "c2"), store.nextSeq()));
        assertEquals(Router.Delivery.DROPPED, store.holdOrDeliver("dave", message("dave", "d1"), store.nextSeq()));
        assertFalse(store.hasPending("dave"), "a refused first message leaves no empty queue behind");
        assertEquals(0, store.size("dave"));
        assertEquals(4, store.size());
        assertEquals(2, counter("offline.dropped"));

        // Draining frees room for others.
        final Session carol = connect("carol");
        store.drainTo(carol);
        assertEquals(List.of("c1"), readTexts(carol));
        assertEquals(3, store.size());
        assertEquals(Router.Delivery.HELD, store.holdOrDeliver("dave", message("dave", "d2"), store.nextSeq()));
        assertEquals(4, store.size());
    }

    @Test
    void expiredMessagesAreNotDeliveredOnDrain() {
        final OfflineStore store = store(10, 100);
        store.holdOrDeliver("bob", message("bob", "old"), store.nextSeq());
        clock.addAndGet(TTL / 2);
        store.holdOrDeliver("bob", message("bob", "new"), store.nextSeq());
        clock.addAndGet(TTL / 2 + 1); // "old" is now past its TTL, "new" is not
        final Session bob = connect("bob");
        assertEquals(1, store.drainTo(bob));
        assertEquals(List.of("new"), readTexts(bob));
        assertEquals(1, counter("offline.expired"));
        assertEquals(1, counter("offline.delivered"));
        assertEquals(0, store.size());
    }

    @Test
    void aMessageExactlyAtItsTtlIsStillDelivered() {
        final OfflineStore store = store(10, 100);
        store.holdOrDeliver("bob", message("bob", "edge"), store.nextSeq());
        clock.addAndGet(TTL);
        final Session bob = connect("bob");
        assertEquals(1, store.drainTo(bob));
        assertEquals(List.of("edge"), readTexts(bob));
    }

    @Test
    void sweepDropsExpiredMessagesAndKeepsTheRest() {
        final OfflineStore store = store(10, 100);
        store.holdOrDeliver("bob", message("bob", "b1"), store.nextSeq());
        store.holdOrDeliver("carol", message("carol", "c1"), store.nextSeq());
        clock.addAndGet(TTL / 2);
        store.holdOrDeliver("bob", message("bob", "b2"), store.nextSeq());
        assertEquals(3, store.size());

        store.sweep(); // nothing expired yet
        assertEquals(3, store.size());
        assertEquals(0, counter("offline.expired"));

        clock.addAndGet(TTL / 2 + 1);
        store.sweep();
        assertEquals(1, store.size());
        assertEquals(1, store.size("bob"));
        assertFalse(store.hasPending("carol"), "an emptied queue is forgotten");
        assertEquals(2, counter("offline.expired"));

        clock.addAndGet(TTL);
        store.sweep();
        assertEquals(0, store.size());
        assertFalse(store.hasPending("bob"));
        assertEquals(3, counter("offline.expired"));
    }

    @Test
    void sizeAccountingStaysExactThroughEveryPath() {
        final OfflineStore store = store(2, 5);
        int dropped = 0;
        for (int round = 0; round < 20; round++) {
            final String user = "u" + (round % 4);
            if (store.holdOrDeliver(user, message(user, "m" + round), store.nextSeq()) == Router.Delivery.DROPPED) {
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
        final Session u1 = connect("u1");
        store.drainTo(u1);
        readTexts(u1);
        store.rehold("u1", message("u1", "late"), store.nextSeq()); // the failed-write path is counted too
        assertEquals(sumOfQueues(store), store.size());
        assertEquals(1, store.size("u1"));
        // u1 is connected and writable: the re-hold schedules a drain on its loop rather than waiting for a reconnect.
        ((EmbeddedChannel) u1.channel()).runPendingTasks();
        assertEquals(List.of("late"), readTexts(u1));
        assertEquals(0, store.size("u1"));
        assertEquals(sumOfQueues(store), store.size());
    }

    private static int sumOfQueues(OfflineStore store) {
        int n = 0;
        for (int u = 0; u < 4; u++) {
            n += store.size("u" + u);
        }
        return n;
    }

    @Test
    void drainWritesTheSameEnvelopeObjects() {
        final OfflineStore store = store(10, 100);
        final Envelope e = message("bob", "x");
        store.holdOrDeliver("bob", e, store.nextSeq());
        final Session bob = connect("bob");
        store.drainTo(bob);
        assertSame(e, ((EmbeddedChannel) bob.channel()).readOutbound());
        assertNull(((EmbeddedChannel) bob.channel()).readOutbound());
    }
}
