package io.switchboard.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.chat.ChatStore;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data file of one gateway, on a real file: what is committed is read back by the next open. */
class FileChatStoreTest {

    private static final EnvelopeJson JSON = EnvelopeJson.create();

    @TempDir
    Path dir;

    private FileChatStore open() {
        return FileChatStore.open(dir, JSON, FileChatStore.Sync.PERIODIC, 1024);
    }

    private static Envelope normal(String msgId, String text) {
        return new Envelope("normal", msgId, "t1", "u1", text, "0", "1700000000000", null);
    }

    private static void await(java.util.concurrent.CompletionStage<?> stage) throws Exception {
        stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void whatWasCommittedIsReadBackAndWhatWasReleasedIsNot() throws Exception {
        final long later = System.currentTimeMillis() + 60_000;
        try (FileChatStore store = open()) {
            store.held(new ChatStore.HeldMessage("u1", 1, normal("m1", "你好 😀"), later));
            store.held(new ChatStore.HeldMessage("u1", 2, normal("m2", "two"), later));
            store.released(1);
            store.paired("u1", "t1");
            store.paired("u2", "t1");
            store.unpaired("u2");
            for (long seq = 1; seq <= 3; seq++) {
                store.sequenced(new ChatStore.SequencedDelivery("u1", seq, normal("a" + seq, "x").withSeq("" + seq),
                                                                seq == 2, later));
            }
            store.acknowledged("u1", 1, new ChatStore.Sequence(3, 1));
            store.remembered(new ChatStore.RememberedReceipt("u1", "r1", normal("r1", "push success"), later));
            await(store.flushed());
        }
        try (FileChatStore again = open()) {
            final ChatStore.Contents c = again.load();
            assertEquals(1, c.held().size());
            assertEquals("m2", c.held().get(0).envelope().msgId());
            assertEquals(2, c.held().get(0).id());
            assertEquals(Map.of("u1", "t1"), c.agentOfUser());
            assertEquals(List.of(2L, 3L), c.deliveries().stream().map(ChatStore.SequencedDelivery::seq).toList());
            assertTrue(c.deliveries().get(0).notifySender());
            assertEquals("2", c.deliveries().get(0).envelope().seq());
            assertEquals(new ChatStore.Sequence(3, 1), c.sequences().get("u1"));
            assertEquals(1, c.receipts().size());
            assertEquals(new ChatStore.Sequence(3, 1), again.sequence("u1").toCompletableFuture().get());
            assertEquals(ChatStore.Sequence.NONE, again.sequence("nobody").toCompletableFuture().get());
        }
    }

    @Test
    void theAcknowledgedRangeIsOneUsersOnly() throws Exception {
        final long later = System.currentTimeMillis() + 60_000;
        try (FileChatStore store = open()) {
            // "u1" and "u10" sort next to each other: an ack of u1 must not touch u10.
            for (String user : new String[] {"u1", "u10"}) {
                for (long seq = 1; seq <= 12; seq++) {
                    store.sequenced(new ChatStore.SequencedDelivery(user, seq, normal("m", "x"), false, later));
                }
            }
            store.acknowledged("u1", 11, new ChatStore.Sequence(12, 11));
            await(store.flushed());
        }
        try (FileChatStore again = open()) {
            final ChatStore.Contents c = again.load();
            assertEquals(1, c.deliveries().stream().filter(d -> d.userId().equals("u1")).count());
            assertEquals(12, c.deliveries().stream().filter(d -> d.userId().equals("u10")).count());
            // The sequence is written on acks; the highest delivery in the file raises its last seq.
            assertEquals(new ChatStore.Sequence(12, 11), c.sequences().get("u1"));
            assertEquals(new ChatStore.Sequence(12, 0), c.sequences().get("u10"));
        }
    }

    @Test
    void aSecondGatewayCannotOpenADataDirectoryInUse() {
        try (FileChatStore first = open()) {
            final IllegalStateException e = assertThrows(IllegalStateException.class, this::open);
            assertTrue(e.getMessage().contains("another gateway"), e.getMessage());
        }
    }

    @Test
    void aClosedStoreRefusesPromises() {
        final FileChatStore store = open();
        store.close();
        final ExecutionException e = assertThrows(ExecutionException.class,
                                                  () -> store.flushed().toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("closed"));
        assertTrue(store.refused() >= 1);
    }
}
