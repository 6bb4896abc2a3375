package io.switchboard.gateway.frames;

import static io.switchboard.gateway.testing.WsTestClient.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.switchboard.gateway.testing.CloseStatus;
import io.switchboard.gateway.testing.Conversations;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.RawSocket;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PROTOCOL.md §1 (frames: text only, UTF-8, 64 KiB, RFC 6455 violations) and §2/§3 (malformed messages get
 * {@code error}/{@code BAD_MESSAGE}, repeated garbage closes with 1008).
 */
class FramesIT {

    private static final int LIMIT = 64 * 1024;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withDefaults();

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A JSON message of exactly {@code size} bytes. */
    private static String jsonOfSize(int size) {
        final String head = "{\"type\":\"ping\",\"pad\":\"";
        return head + "x".repeat(size - head.length() - 2) + "\"}";
    }

    // ---- frames (§1)

    @Test
    void binaryFrameClosesWith1003() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            client.sendRaw(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(utf8("{\"type\":\"ping\"}"))));
            assertEquals(1003, client.awaitClose(TIMEOUT).code());
        }
    }

    @Test
    void frameOverTheLimitClosesWith1009() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            client.sendText(jsonOfSize(LIMIT + 1));
            assertEquals(1009, client.awaitClose(TIMEOUT).code());
        }
    }

    @Test
    void messageOfExactlyTheLimitIsAccepted() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            client.sendText(jsonOfSize(LIMIT));
            assertEquals("0", client.next("pong", TIMEOUT).code());
        }
    }

    @Test
    void fragmentedMessageOverTheLimitClosesWith1009() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            final String json = jsonOfSize(LIMIT + 1);
            final int third = json.length() / 3;
            // Every fragment is well under the frame limit; only the reassembled message is too big.
            client.sendRaw(new TextWebSocketFrame(false, 0, json.substring(0, third)));
            client.sendRaw(new ContinuationWebSocketFrame(false, 0, json.substring(third, 2 * third)));
            client.sendRaw(new ContinuationWebSocketFrame(true, 0, json.substring(2 * third)));
            assertEquals(1009, client.awaitClose(TIMEOUT).code());
        }
    }

    @Test
    void fragmentedMessageUnderTheLimitIsReassembledAndRouted() {
        try (WsTestClient agent = gateway.connect(gateway.agent("t1"));
             WsTestClient user = gateway.connect(gateway.user("u1"))) {
            Conversations.pair(user, "u1", agent, "t1");
            final String text = "你好".repeat(1000);
            final String json = "{\"type\":\"normal\",\"msgId\":\"f1\",\"to\":\"t1\",\"msg\":\"" + text + "\"}";
            final byte[] bytes = utf8(json);
            // Split inside a multi-byte character: UTF-8 is validated over the message, not per fragment.
            final int cut1 = bytes.length / 3 + 1;
            final int cut2 = 2 * bytes.length / 3 + 2;
            user.sendRaw(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(bytes, 0, cut1)));
            user.sendRaw(new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(bytes, cut1, cut2 - cut1)));
            user.sendRaw(new ContinuationWebSocketFrame(true, 0,
                                                        Unpooled.wrappedBuffer(bytes, cut2, bytes.length - cut2)));
            assertEquals("push success", user.next("receipt", TIMEOUT).msg());
            final Envelope delivered = agent.next("normal", TIMEOUT);
            assertEquals(text, delivered.msg());
            assertEquals("f1", delivered.msgId());
        }
    }

    @Test
    void invalidUtf8ClosesWith1007() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            final byte[] bad = {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'};
            client.sendRaw(new TextWebSocketFrame(Unpooled.wrappedBuffer(bad)));
            assertEquals(1007, client.awaitClose(TIMEOUT).code());
        }
    }

    @Test
    void invalidUtf8SplitAcrossFragmentsClosesWith1007() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            client.sendRaw(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {'"', (byte) 0xE4})));
            client.sendRaw(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {'x', '"'})));
            assertEquals(1007, client.awaitClose(TIMEOUT).code());
        }
    }

    private CloseStatus rawViolation(byte[] frame) throws IOException {
        try (RawSocket raw = RawSocket.upgraded(gateway.address(), "/pinter/imserver/u1")) {
            raw.write(frame);
            return raw.readClose();
        }
    }

    @Test
    void unmaskedClientFrameClosesWith1002() throws IOException {
        assertEquals(1002, rawViolation(RawSocket.frame(true, 0, RawSocket.TEXT, false, utf8("{\"type\":\"ping\"}")))
                .code());
    }

    @ParameterizedTest(name = "[{index}] rsv {0}")
    @ValueSource(ints = {1, 2, 4, 7})
    void reservedBitsCloseWith1002(int rsv) throws IOException {
        assertEquals(1002, rawViolation(RawSocket.frame(true, rsv, RawSocket.TEXT, true, utf8("{\"type\":\"ping\"}")))
                .code());
    }

    @ParameterizedTest(name = "[{index}] opcode {0}")
    @ValueSource(ints = {0x3, 0x7, 0xB, 0xF})
    void reservedOpcodesCloseWith1002(int opcode) throws IOException {
        assertEquals(1002, rawViolation(RawSocket.frame(true, 0, opcode, true, utf8("x"))).code());
    }

    /** RFC 6455 §7.4: codes a peer must not send (never on the wire, reserved, or outside every range). */
    @ParameterizedTest(name = "[{index}] close code {0}")
    @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
    void invalidCloseCodesCloseWith1002(int code) throws IOException {
        assertEquals(1002, rawViolation(RawSocket.frame(true, 0, RawSocket.CLOSE, true,
                                                        new byte[] {(byte) (code >> 8), (byte) code})).code());
    }

    @Test
    void anInvalidCloseCodeGetsOneCloseFrameAndTheConnectionEnds() throws IOException {
        try (RawSocket raw = RawSocket.upgraded(gateway.address(), "/pinter/imserver/u1")) {
            raw.write(RawSocket.frame(true, 0, RawSocket.CLOSE, true, new byte[] {0x03, (byte) 0xE7})); // 999
            final RawSocket.Frame first = raw.readFrame();
            assertEquals(RawSocket.CLOSE, first.opcode());
            assertEquals(1002, (first.payload()[0] & 0xFF) << 8 | first.payload()[1] & 0xFF);
            final byte[] rest = raw.readRemaining(TIMEOUT);
            assertEquals(0, rest.length, "nothing after the close frame (no second close)");
        }
    }

    @Test
    void aOneByteCloseBodyClosesWith1002() throws IOException {
        assertEquals(1002, rawViolation(RawSocket.frame(true, 0, RawSocket.CLOSE, true, new byte[] {3})).code());
    }

    /** A valid close is answered with the same code (RFC 6455 §5.5.1: the endpoint typically echoes it). */
    @ParameterizedTest(name = "[{index}] close code {0}")
    @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4000, 4999})
    void validCloseCodesAreEchoed(int code) throws IOException {
        assertEquals(code, rawViolation(RawSocket.frame(true, 0, RawSocket.CLOSE, true,
                                                        new byte[] {(byte) (code >> 8), (byte) code, 'o', 'k'}))
                .code());
    }

    @Test
    void anEmptyCloseIsAnsweredWithAnEmptyClose() throws IOException {
        final CloseStatus answer = rawViolation(RawSocket.frame(true, 0, RawSocket.CLOSE, true, new byte[0]));
        assertEquals(1005, answer.code()); // RawSocket's reading of a close frame without a body
    }

    @Test
    void aCloseReasonThatIsNotUtf8ClosesWith1007() throws IOException {
        assertEquals(1007, rawViolation(RawSocket.frame(true, 0, RawSocket.CLOSE, true,
                                                        new byte[] {3, (byte) 0xE8, (byte) 0xC3, (byte) 0x28}))
                .code());
    }

    @Test
    void fragmentedPingClosesWith1002() throws IOException {
        assertEquals(1002, rawViolation(RawSocket.frame(false, 0, RawSocket.PING, true, utf8("a"))).code());
    }

    @Test
    void controlFrameOver125BytesClosesWith1002() throws IOException {
        assertEquals(1002, rawViolation(RawSocket.frame(true, 0, RawSocket.PING, true, new byte[126])).code());
    }

    @Test
    void continuationWithoutAStartClosesWith1002() throws IOException {
        assertEquals(1002, rawViolation(RawSocket.frame(true, 0, RawSocket.CONTINUATION, true, utf8("x"))).code());
    }

    @Test
    void newMessageInsideAFragmentedOneClosesWith1002() throws IOException {
        try (RawSocket raw = RawSocket.upgraded(gateway.address(), "/pinter/imserver/u1")) {
            raw.writeFrame(false, 0, RawSocket.TEXT, true, utf8("{\"type\":"));
            raw.writeFrame(true, 0, RawSocket.TEXT, true, utf8("{\"type\":\"ping\"}"));
            assertEquals(1002, raw.readClose().code());
        }
    }

    @Test
    void rawClientGetsPongForAPingAndAnswersToThePingFrame() throws IOException {
        // The raw socket speaks correct RFC 6455 too: a control frame interleaved in a fragmented message is fine.
        try (RawSocket raw = RawSocket.upgraded(gateway.address(), "/pinter/imserver/u1")) {
            raw.writeFrame(false, 0, RawSocket.TEXT, true, utf8("{\"type\":"));
            raw.writeFrame(true, 0, RawSocket.PING, true, utf8("hi"));
            raw.writeFrame(true, 0, RawSocket.CONTINUATION, true, utf8("\"ping\"}"));
            final RawSocket.Frame pong = raw.readFrame();
            assertEquals(RawSocket.PONG, pong.opcode());
            assertEquals("hi", pong.text());
            final RawSocket.Frame text = raw.readFrame();
            assertEquals(RawSocket.TEXT, text.opcode());
            assertTrue(text.text().contains("\"type\":\"pong\""), text::text);
        }
    }

    // ---- malformed messages (§2, §3 error)

    private static void assertBadMessage(Envelope e, String expectedMsgId) {
        assertEquals("error", e.type(), () -> "not an error: " + e);
        assertEquals("1", e.code());
        assertEquals("BAD_MESSAGE", e.reason());
        assertEquals("消息格式错误", e.msg());
        assertEquals("system", e.from());
        assertEquals("u1", e.to());
        if (expectedMsgId != null) {
            assertEquals(expectedMsgId, e.msgId());
        }
    }

    private static void assertStillOpen(WsTestClient client) {
        client.send(Envelope.client("ping", "alive", null, null));
        assertEquals("alive", client.next("pong", TIMEOUT).msgId());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "not json",
            "{",
            "[]",
            "[{\"type\":\"ping\"}]",
            "\"ping\"",
            "42",
            "null",
            "{\"type\":\"ping\"} x",
            "{\"type\":\"ping\"}{}",
            "{\"type\":\"ping\"}{\"type\":\"ping\"}",
            "{\"type\":\"bogus\"}",
            "{\"type\":\"PING\"}",
            "{\"type\":\"receipt\"}",
            "{\"type\":\"error\"}",
            "{}",
            "{\"type\":7}",
            "{\"type\":\"normal\",\"to\":\"t1\",\"msg\":5}",
            "{\"type\":\"normal\",\"to\":\"t1\",\"msg\":true}",
            "{\"type\":\"normal\",\"to\":\"t1\",\"msg\":{\"a\":\"b\"}}",
            "{\"type\":\"normal\",\"to\":\"t1\",\"msg\":[\"hi\"]}",
            "{\"type\":\"normal\",\"to\":[\"t1\"],\"msg\":\"hi\"}",
            "{\"type\":\"normal\",\"to\":\"t1\",\"from\":1,\"msg\":\"hi\"}",
            "{\"type\":\"ping\",\"msgId\":123}",
            "{\"type\":\"ping\",\"msgId\":\"\"}",
    })
    void malformedMessageGetsBadMessageAndTheConnectionStaysOpen(String json) {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            client.sendText(json);
            final Envelope error = client.next("error", TIMEOUT);
            assertBadMessage(error, null);
            assertNotEquals("", error.msgId());
            assertStillOpen(client);
        }
    }

    @Test
    void emptyTextFrameGetsBadMessage() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            client.sendText("");
            assertBadMessage(client.next("error", TIMEOUT), null);
            assertStillOpen(client);
        }
    }

    @Test
    void badMessageEchoesAValidMsgIdOnly() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            client.sendText("{\"type\":\"bogus\",\"msgId\":\"g1\"}");
            assertBadMessage(client.next("error", TIMEOUT), "g1");
            final String longest = "m".repeat(64);
            client.sendText("{\"type\":\"bogus\",\"msgId\":\"" + longest + "\"}");
            assertBadMessage(client.next("error", TIMEOUT), longest);
            // A 65-character msgId is itself invalid: the error carries a server id instead.
            final String tooLong = "m".repeat(65);
            client.sendText("{\"type\":\"ping\",\"msgId\":\"" + tooLong + "\"}");
            final Envelope error = client.next("error", TIMEOUT);
            assertBadMessage(error, null);
            assertNotEquals(tooLong, error.msgId());
        }
    }

    @Test
    void unknownFieldsAreIgnoredWhateverTheirType() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            client.sendText("{\"type\":\"ping\",\"msgId\":\"k\",\"extra\":{\"n\":[1,true,null]},\"count\":3}");
            assertEquals("k", client.next("pong", TIMEOUT).msgId());
        }
    }

    @Test
    void applicationPingGetsPong() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            final long before = System.currentTimeMillis();
            client.sendText("{\"type\":\"ping\"}");
            final Envelope pong = client.next("pong", TIMEOUT);
            assertEquals("0", pong.code());
            assertEquals("system", pong.from());
            assertEquals("u1", pong.to());
            Conversations.assertServerMessage(pong, "pong", "0", "system", "u1", pong.msg(), before);
        }
    }

    @Test
    void tenMalformedMessagesInARowCloseWith1008() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            for (int i = 1; i <= 10; i++) {
                client.sendText("garbage " + i);
            }
            for (int i = 1; i <= 10; i++) {
                assertBadMessage(client.next("error", TIMEOUT), null);
            }
            assertEquals(1008, client.awaitClose(TIMEOUT).code());
        }
    }

    @Test
    void aValidMessageResetsTheGarbageCount() {
        try (WsTestClient client = gateway.connect(gateway.user("u1"))) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 9; i++) {
                    client.sendText("garbage");
                    assertBadMessage(client.next("error", TIMEOUT), null);
                }
                assertStillOpen(client);
            }
        }
    }
}
