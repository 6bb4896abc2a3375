package io.switchboard.protocol.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.Failure;
import io.switchboard.protocol.json.EnvelopeJson;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The pre-encoded receipt is byte for byte what Jackson writes for the same envelope (the golden rule). */
class ReceiptEncoderTest {

    private final EnvelopeJson json = EnvelopeJson.create();
    private final Envelopes envelopes = new Envelopes(Clock.systemUTC());

    @Test
    void everyReceiptIsTheBytesJacksonWrites() {
        final List<String> ids = List.of("111", "m-1", "", "引号\"与\\反斜杠", "tab\tnew\nline\u0000\u001f\u007f",
                                         "中文消息", "é", "</script>", "a'b", "\u2028\u2029", "x".repeat(300));
        for (String id : ids) {
            for (String to : new String[] {"admin", "客服01", null, "a\"b"}) {
                for (String msg : List.of(Envelopes.PUSH_SUCCESS, Envelopes.STORED_OFFLINE)) {
                    golden(new Envelope("receipt", id, Envelopes.SYSTEM, to, msg, "0", "1700000000000", null));
                }
            }
        }
        final Random random = new Random(13);
        for (int i = 0; i < 2_000; i++) {
            golden(envelopes.receipt(randomString(random), randomString(random), Envelopes.PUSH_SUCCESS));
        }
    }

    @Test
    void anythingElseIsLeftToJackson() {
        final ByteBuf out = Unpooled.buffer();
        try {
            assertFalse(ReceiptEncoder.write(envelopes.failedReceipt("1", "u", Failure.values()[0]), out));
            assertFalse(ReceiptEncoder.write(envelopes.delivery("1", "u", "a", "hi"), out));
            assertFalse(ReceiptEncoder.write(envelopes.receipt("1", "u", Envelopes.PUSH_SUCCESS).withSeq("4"), out));
            assertFalse(ReceiptEncoder.write(envelopes.receipt("emoji \uD83D\uDE00", "u", Envelopes.PUSH_SUCCESS),
                                             out));
            assertFalse(ReceiptEncoder.write(envelopes.receipt("1", "u", "other text"), out));
            assertEquals(0, out.readableBytes(), "nothing written when it declines");
            assertTrue(ReceiptEncoder.write(envelopes.receipt("1", "u", Envelopes.PUSH_SUCCESS), out));
        } finally {
            out.release();
        }
    }

    private void golden(Envelope receipt) {
        final ByteBuf out = Unpooled.buffer();
        try {
            assertTrue(ReceiptEncoder.write(receipt, out), () -> "declined " + receipt);
            assertArrayEquals(json.toBytes(receipt), ByteBufUtil.getBytes(out), () -> "bytes of " + receipt);
        } finally {
            out.release();
        }
    }

    /** Up to 40 chars from ASCII controls, printable ASCII, Latin-1, CJK and the BMP above it (no surrogates). */
    private static String randomString(Random random) {
        final StringBuilder s = new StringBuilder();
        final int n = random.nextInt(40);
        for (int i = 0; i < n; i++) {
            final int kind = random.nextInt(5);
            final char c = switch (kind) {
                case 0 -> (char) random.nextInt(0x20);
                case 1 -> (char) (0x20 + random.nextInt(0x5f));
                case 2 -> (char) (0x80 + random.nextInt(0x180));
                case 3 -> (char) (0x4e00 + random.nextInt(0x5000));
                default -> (char) (0xe000 + random.nextInt(0x1f00));
            };
            s.append(c);
        }
        return s.toString();
    }
}
