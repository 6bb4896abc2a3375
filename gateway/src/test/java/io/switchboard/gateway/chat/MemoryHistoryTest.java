package io.switchboard.gateway.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.switchboard.gateway.store.FileChatStore;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.json.EnvelopeJson;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryHistoryTest {

    private final EnvelopeJson json = EnvelopeJson.create();
    private final AtomicLong clock = new AtomicLong(1_000);

    private MemoryHistory history(ChatStore store, int max, long budget) {
        return new MemoryHistory(store, json, PooledByteBufAllocator.DEFAULT, max, 60_000, budget, clock::get);
    }

    private static Envelope message(int i) {
        // Sizes vary, so that the buffer both moves its messages down and grows.
        return Envelope.client("normal", "m" + i, "a1", "text " + i + "x".repeat(i * 7 % 300));
    }

    private static List<String> texts(List<Envelope> messages) {
        return messages.stream().map(Envelope::msg).toList();
    }

    private static List<String> expected(int fromInclusive, int toExclusive) {
        return IntStream.range(fromInclusive, toExclusive).mapToObj(i -> message(i).msg()).toList();
    }

    private static List<Envelope> now(CompletionStage<List<Envelope>> stage) throws Exception {
        return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void keepsTheLastMaxMessagesOldestFirst() throws Exception {
        final MemoryHistory history = history(ChatStore.MEMORY, 10, 1 << 20);
        try {
            for (int i = 0; i < 1_000; i++) {
                history.appended("u1", message(i));
                if (i == 3) {
                    assertEquals(expected(0, 4), texts(now(history.last("u1", 20))));
                }
            }
            assertEquals(expected(990, 1_000), texts(now(history.last("u1", 20))));
            assertEquals(expected(997, 1_000), texts(now(history.last("u1", 3))));
            assertTrue(history.heldBytes() < 4 * 10 * 400, "bytes held: " + history.heldBytes());
        } finally {
            history.close();
        }
        assertEquals(0, history.heldBytes());
    }

    @Test
    void aNewConversationReleasesTheOldOne() throws Exception {
        final MemoryHistory history = history(ChatStore.MEMORY, 10, 1 << 20);
        history.appended("u1", message(1));
        history.started("u1");
        assertEquals(List.of(), now(history.last("u1", 20)));
        assertEquals(0, history.heldBytes());
        history.appended("u1", message(2));
        history.ended("u1");
        clock.addAndGet(60_001);
        history.sweep();
        assertEquals(0, history.size());
        assertEquals(0, history.heldBytes());
    }

    /** Ten messages in each of u0..u7, u0 the least recently active, then a checkpoint. */
    private void fillEightConversations(MemoryHistory history) {
        for (int u = 0; u < 8; u++) {
            clock.incrementAndGet();
            for (int i = 0; i < 10; i++) {
                history.appended("u" + u, message(i));
            }
        }
        history.checkpoint();
    }

    @Test
    void overTheBudgetTheLeastRecentlyActiveIsDroppedWithoutADataFile() throws Exception {
        final MemoryHistory history = history(ChatStore.MEMORY, 100, 6 * 1024);
        try {
            fillEightConversations(history);
            assertTrue(history.heldBytes() <= 6 * 1024 * 3 / 4, "bytes held: " + history.heldBytes());
            assertEquals(List.of(), now(history.last("u0", 20)));
            assertEquals(expected(0, 10), texts(now(history.last("u7", 20))));
        } finally {
            history.close();
        }
    }

    @Test
    void overTheBudgetTheDataFileAnswersForWhatMemoryLetGo(@TempDir Path dir) throws Exception {
        try (FileChatStore store = FileChatStore.open(dir, json, FileChatStore.Sync.PERIODIC, 1024)) {
            final MemoryHistory history = history(store, 100, 6 * 1024);
            try {
                fillEightConversations(history);
                assertTrue(history.heldBytes() <= 6 * 1024 * 3 / 4, "bytes held: " + history.heldBytes());
                // u0 was let go: older messages from the file, the unsaved newest from memory.
                history.appended("u0", message(10));
                history.appended("u0", message(11));
                assertEquals(expected(0, 12), texts(now(history.last("u0", 20))));
                assertEquals(expected(7, 12), texts(now(history.last("u0", 5))));
                history.checkpoint();
                assertEquals(expected(2, 12), texts(now(history.last("u0", 10))));
            } finally {
                history.close();
            }
        }
    }
}
