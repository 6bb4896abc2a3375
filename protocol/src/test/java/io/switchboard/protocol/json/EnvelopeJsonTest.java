package io.switchboard.protocol.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.protocol.Envelope;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvelopeJsonTest {

    private static final EnvelopeJson JSON = EnvelopeJson.create();

    private static Envelope read(String json) throws IOException {
        return JSON.read(json.getBytes(StandardCharsets.UTF_8));
    }

    private static Envelope readStream(String json) throws IOException {
        return JSON.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    /** Asserts that both entry points reject {@code json} as malformed, and returns the byte[] one's exception. */
    private static MalformedEnvelopeException assertMalformed(String json) {
        assertThrows(MalformedEnvelopeException.class, () -> readStream(json), json);
        return assertThrows(MalformedEnvelopeException.class, () -> read(json), json);
    }

    private static String utf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
    }

    // --- round trips

    @Test
    void roundTripsEveryField() throws IOException {
        final Envelope e = new Envelope("receipt", "111", "system", "admin", "push success", "0", "1665630374482",
                "X_REASON");
        assertEquals(e, JSON.read(JSON.toBytes(e)));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        JSON.write(e, out);
        assertArrayEquals(JSON.toBytes(e), out.toByteArray());
        assertEquals(e, JSON.read(new ByteArrayInputStream(out.toByteArray())));
    }

    @Test
    void seqIsAStringFieldWrittenOnlyWhenSet() throws IOException {
        final Envelope plain = new Envelope("normal", "m", "a", "b", "hi", "0", "1", null);
        assertFalse(new String(JSON.toBytes(plain), StandardCharsets.UTF_8).contains("seq"));
        final Envelope sequenced = plain.withSeq("17");
        assertTrue(new String(JSON.toBytes(sequenced), StandardCharsets.UTF_8).contains("\"seq\":\"17\""));
        assertEquals(sequenced, JSON.read(JSON.toBytes(sequenced)));
        assertEquals(Envelope.client("ack", null, null, "17"), read("{\"type\":\"ack\",\"msg\":\"17\"}"));
        assertThrows(MalformedEnvelopeException.class, () -> read("{\"type\":\"ack\",\"msg\":\"1\",\"seq\":1}"));
    }

    @Test
    void roundTripsChineseAndEmoji() throws IOException {
        final String text = "同学,你好,非常高兴为你服务,有什么需要我帮忙的呢? 😀👍🏽 \u4e2d \"quoted\" \\ \n\t end";
        final Envelope e = new Envelope("normal", "m-1", "admin", "cf2137234f3943e3898df8fcd14f099a__mtx", text, "0",
                "1", null);
        final byte[] bytes = JSON.toBytes(e);
        assertEquals(e, JSON.read(bytes));
        // BMP text goes out as UTF-8, not as \\u escapes. (Astral characters such as emoji go out as escaped
        // surrogate pairs, Jackson's default: valid JSON that every parser reads back, as asserted above.)
        assertTrue(utf8(bytes).contains("同学,你好"), utf8(bytes));
    }

    @Test
    void readsTheClientMessagesOfProtocolMd() throws IOException {
        assertEquals(new Envelope("match", null, "admin", "system", null, null, null, null),
                read("{\"type\":\"match\",\"from\":\"admin\",\"to\":\"system\"}"));
        assertEquals(Envelope.client("normal", "111", "peer", "你好"),
                read("{\"type\":\"normal\",\"msgId\":\"111\",\"to\":\"peer\",\"msg\":\"你好\"}"));
        assertEquals(Envelope.client("ping", null, null, null), read("{\"type\":\"ping\"}"));
        assertEquals(Envelope.client(null, null, null, null), read("{}"));
        assertEquals(Envelope.client("ping", null, null, null), read(" \r\n\t{ \"type\" : \"ping\" } \n"));
    }

    // --- unknown fields

    @Test
    void unknownFieldsAreIgnored() throws IOException {
        assertEquals(Envelope.client("ping", null, null, null),
                read("{\"type\":\"ping\",\"extra\":\"x\",\"n\":1,\"f\":1.5,\"b\":true,\"z\":null}"));
        // isSuccess() is derived, not a wire field: given on input it is just another unknown field.
        assertEquals(Envelope.client("ping", null, null, null), read("{\"type\":\"ping\",\"success\":true}"));
    }

    @Test
    void unknownFieldsWithNestedObjectsAndArraysAreIgnored() throws IOException {
        assertEquals(Envelope.client("normal", "1", "p", "hi"),
                read("{\"meta\":{\"a\":{\"b\":[1,2,{\"c\":[]}]},\"d\":{}},\"type\":\"normal\","
                        + "\"list\":[[\"x\"],{\"y\":null}],\"msgId\":\"1\",\"to\":\"p\",\"msg\":\"hi\",\"e\":[]}"));
    }

    // --- wrong shapes of known fields

    @Test
    void knownFieldOfWrongShapeIsMalformed() {
        for (String field : new String[] {"type", "msgId", "from", "to", "msg", "code", "timestamp", "reason"}) {
            for (String value : new String[] {"1", "-1", "1.5", "1e3", "true", "false", "{}", "{\"a\":\"b\"}", "[]",
                    "[\"x\"]", "[1]"}) {
                final String prefix = field.equals("type") ? "{" : "{\"type\":\"normal\",";
                assertMalformed(prefix + "\"" + field + "\":" + value + "}");
            }
        }
    }

    @Test
    void nullFieldValueIsTreatedAsAbsent() throws IOException {
        assertEquals(Envelope.client("normal", null, null, null),
                read("{\"type\":\"normal\",\"msgId\":null,\"to\":null,\"msg\":null,\"code\":null}"));
        assertNull(read("{\"type\":null}").type());
    }

    // --- not exactly one object

    @Test
    void trailingBytesAreMalformed() {
        assertMalformed("{\"type\":\"ping\"} x");
        assertMalformed("{\"type\":\"ping\"}{}");
        assertMalformed("{\"type\":\"ping\"} {\"type\":\"ping\"}");
        assertMalformed("{\"type\":\"ping\"}]");
        assertMalformed("{\"type\":\"ping\"}}");
        assertMalformed("{\"type\":\"ping\"} 1");
        assertMalformed("{\"type\":\"ping\"}\"\"");
    }

    @Test
    void topLevelNonObjectIsMalformed() {
        assertMalformed("[]");
        assertMalformed("[{\"type\":\"ping\"}]");
        assertMalformed("\"ping\"");
        assertMalformed("\"\"");
        assertMalformed("42");
        assertMalformed("true");
        assertMalformed("null");
        assertMalformed("");
        assertMalformed("   ");
    }

    @Test
    void brokenJsonIsMalformed() {
        assertMalformed("{");
        assertMalformed("{\"type\":\"ping\"");
        assertMalformed("{\"type\":\"ping\",}");
        assertMalformed("{type:\"ping\"}");
        assertMalformed("{'type':'ping'}");
        assertMalformed("{\"type\":\"ping\" /* c */}");
        assertMalformed("not json");
    }

    @Test
    void invalidUtf8IsMalformed() {
        final byte[] bytes = {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThrows(MalformedEnvelopeException.class, () -> JSON.read(bytes));
        assertThrows(MalformedEnvelopeException.class, () -> JSON.read(new ByteArrayInputStream(bytes)));
    }

    @Test
    void nestingWithinTheLimitIsAccepted() throws IOException {
        // The envelope object itself is one level, so an unknown field may nest MAX_NESTING_DEPTH - 1 more.
        final int depth = EnvelopeJson.MAX_NESTING_DEPTH - 1;
        assertEquals("ping", read("{\"type\":\"ping\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}").type());
    }

    @Test
    void nestingDeeperThanTheLimitIsMalformedNotStackOverflow() {
        final int depth = EnvelopeJson.MAX_NESTING_DEPTH;
        assertMalformed("{\"type\":\"ping\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}");
        assertMalformed("{\"type\":\"ping\",\"x\":" + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}");
        // Far deeper than any stack would take if the parser recursed; also unterminated.
        assertMalformed("{\"type\":\"ping\",\"x\":" + "[".repeat(100_000));
        assertMalformed("{\"x\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}");
    }

    @Test
    void duplicateKeysAreMalformed() {
        assertMalformed("{\"type\":\"ping\",\"type\":\"normal\"}");
        assertMalformed("{\"msg\":\"a\",\"type\":\"normal\",\"msg\":\"b\"}");
        assertMalformed("{\"type\":\"ping\",\"x\":1,\"x\":2}");
    }

    @Test
    void overLongNumberInUnknownFieldIsMalformed() {
        assertMalformed("{\"type\":\"ping\",\"x\":" + "9".repeat(EnvelopeJson.MAX_NUMBER_CHARS + 1) + "}");
    }

    // --- output

    @Test
    void outputFieldOrderIsAlphabetical() throws IOException {
        final Envelope e = new Envelope("receipt", "111", "system", "admin", "消息内容为空", "1", "1665630374482",
                "EMPTY_MSG");
        assertEquals("{\"code\":\"1\",\"from\":\"system\",\"msg\":\"消息内容为空\",\"msgId\":\"111\","
                + "\"reason\":\"EMPTY_MSG\",\"timestamp\":\"1665630374482\",\"to\":\"admin\",\"type\":\"receipt\"}",
                utf8(JSON.toBytes(e)));
    }

    @Test
    void nullFieldsAreOmittedIncludingReason() throws IOException {
        // The exact shape of the match answer in PROTOCOL.md §3.
        final Envelope e = new Envelope("match", "abc", "system", "admin", "agent1", "0", "1665630374482", null);
        assertEquals("{\"code\":\"0\",\"from\":\"system\",\"msg\":\"agent1\",\"msgId\":\"abc\","
                + "\"timestamp\":\"1665630374482\",\"to\":\"admin\",\"type\":\"match\"}", utf8(JSON.toBytes(e)));
        assertEquals("{\"type\":\"ping\"}", utf8(JSON.toBytes(Envelope.client("ping", null, null, null))));
        assertEquals("{}", utf8(JSON.toBytes(Envelope.client(null, null, null, null))));
    }

    @Test
    void outputIsUtf8JsonWithEveryFieldAString() throws IOException {
        final Envelope e = new Envelope("normal", "1", "a", "b", "😀 中文 \u0000 \u2028 \"", "0", "12", "R");
        final byte[] bytes = JSON.toBytes(e);
        final String text = utf8(bytes); // throws on invalid UTF-8
        final JsonNode tree = new ObjectMapper().readTree(text);
        assertTrue(tree.isObject());
        final List<String> names = new ArrayList<>();
        for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
            final String name = it.next();
            names.add(name);
            assertTrue(tree.get(name).isTextual(), name + " is not a string: " + tree.get(name));
        }
        assertEquals(List.of("code", "from", "msg", "msgId", "reason", "timestamp", "to", "type"), names);
        assertEquals(e.msg(), tree.get("msg").textValue());
        assertFalse(text.contains("\n"));
    }

    @Test
    void malformedMessageDoesNotEchoTheInput() {
        for (String json : new String[] {"{\"type\":\"ping\"} secret", "secret", "{\"type\":secret}",
                "{\"msg\":\"secret\",\"secret\":1,\"secret\":2}", "{\"msg\":[\"secret\"]}", "\"secret\"",
                "{\"msg\":1234567}", "{\"secret\":" + "[".repeat(40) + "]".repeat(40) + "}"}) {
            final MalformedEnvelopeException e = assertMalformed(json);
            final String message = String.valueOf(e.getMessage());
            assertFalse(message.contains("secret"), () -> json + " -> " + message);
            assertFalse(message.contains("1234567"), () -> json + " -> " + message);
            assertTrue(e.getCause() != null, json); // the parser's details stay available for debugging
        }
    }
}
