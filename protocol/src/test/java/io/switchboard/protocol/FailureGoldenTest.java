package io.switchboard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.switchboard.protocol.netty.CloseCodes;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Pins the texts and codes that {@code PROTOCOL.md} fixes: every {@link Failure} against
 * {@code golden/failures.txt} (both ways), the five exact texts literally, and every {@link CloseCodes} status.
 * A change here is a change to the wire contract, not a refactoring.
 */
class FailureGoldenTest {

    private static final String GOLDEN = "/golden/failures.txt";

    @Test
    void everyFailureMatchesTheGoldenFileBothWays() throws IOException {
        final Map<String, String> golden = readGolden();
        final Map<String, String> actual = new LinkedHashMap<>();
        for (Failure failure : Failure.values()) {
            actual.put(failure.reason(), failure.text());
        }
        for (Map.Entry<String, String> e : golden.entrySet()) {
            assertTrue(actual.containsKey(e.getKey()), "missing from Failure: " + e.getKey());
            assertEquals(e.getValue(), actual.get(e.getKey()), "text of " + e.getKey());
        }
        for (String reason : actual.keySet()) {
            assertTrue(golden.containsKey(reason), "missing from " + GOLDEN + ": " + reason);
        }
        assertEquals(new TreeMap<>(golden), new TreeMap<>(actual));
    }

    @Test
    void exactTextsOfProtocolMd() {
        // PROTOCOL.md §3: existing clients compare these literally.
        assertEquals("消息内容为空", Failure.EMPTY_MSG.text());
        assertEquals("未与对方建立会话", Failure.NOT_PAIRED.text());
        assertEquals("消息内容过长", Failure.MSG_TOO_LONG.text());
        assertEquals("发送过于频繁", Failure.RATE_LIMITED.text());
        assertEquals("消息格式错误", Failure.BAD_MESSAGE.text());
    }

    @Test
    void reasonIsTheEnumName() {
        assertEquals("EMPTY_MSG", Failure.EMPTY_MSG.reason());
        assertEquals("NOT_PAIRED", Failure.NOT_PAIRED.reason());
        assertEquals("MSG_TOO_LONG", Failure.MSG_TOO_LONG.reason());
        assertEquals("RATE_LIMITED", Failure.RATE_LIMITED.reason());
        assertEquals("BAD_MESSAGE", Failure.BAD_MESSAGE.reason());
        assertEquals("NO_AGENT", Failure.NO_AGENT.reason());
        for (Failure failure : Failure.values()) {
            assertEquals(failure.name(), failure.reason());
            assertNotNull(failure.text());
            assertTrue(!failure.text().isBlank(), "blank text: " + failure);
        }
    }

    @Test
    void closeCodesArePinnedBothWays() throws IllegalAccessException {
        final Map<String, Integer> expected = new TreeMap<>();
        expected.put("NORMAL", 1000);
        expected.put("GOING_AWAY", 1001);
        expected.put("PROTOCOL_ERROR", 1002);
        expected.put("UNSUPPORTED_DATA", 1003);
        expected.put("INVALID_UTF8", 1007);
        expected.put("POLICY_VIOLATION", 1008);
        expected.put("MESSAGE_TOO_BIG", 1009);
        expected.put("INTERNAL_ERROR", 1011);
        expected.put("TRY_AGAIN_LATER", 1013);
        expected.put("REPLACED", 4001);
        expected.put("KICKED", 4003);

        final Map<String, Integer> actual = new TreeMap<>();
        for (Field field : CloseCodes.class.getDeclaredFields()) {
            final int mod = field.getModifiers();
            if (Modifier.isPublic(mod) && Modifier.isStatic(mod) && field.getType() == WebSocketCloseStatus.class) {
                assertTrue(Modifier.isFinal(mod), "not final: " + field.getName());
                actual.put(field.getName(), ((WebSocketCloseStatus) field.get(null)).code());
            }
        }
        assertEquals(expected, actual);
    }

    @Test
    void closeCodesDirect() {
        assertEquals(1000, CloseCodes.NORMAL.code());
        assertEquals(1001, CloseCodes.GOING_AWAY.code());
        assertEquals(1002, CloseCodes.PROTOCOL_ERROR.code());
        assertEquals(1003, CloseCodes.UNSUPPORTED_DATA.code());
        assertEquals(1007, CloseCodes.INVALID_UTF8.code());
        assertEquals(1008, CloseCodes.POLICY_VIOLATION.code());
        assertEquals(1009, CloseCodes.MESSAGE_TOO_BIG.code());
        assertEquals(1011, CloseCodes.INTERNAL_ERROR.code());
        assertEquals(1013, CloseCodes.TRY_AGAIN_LATER.code());
        assertEquals(4001, CloseCodes.REPLACED.code());
        assertEquals("replaced", CloseCodes.REPLACED.reasonText());
        assertEquals(4003, CloseCodes.KICKED.code());
    }

    /** Reads the golden file as strict UTF-8: one {@code REASON<TAB>text} per line, no blanks, no duplicates. */
    private static Map<String, String> readGolden() throws IOException {
        final byte[] bytes;
        try (InputStream in = FailureGoldenTest.class.getResourceAsStream(GOLDEN)) {
            assertNotNull(in, GOLDEN + " is not on the test classpath");
            bytes = in.readAllBytes();
        }
        final String text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
        assertTrue(text.endsWith("\n"), GOLDEN + " must end with a newline");
        final Map<String, String> golden = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.substring(0, text.length() - 1).split("\n", -1)) {
            lineNo++;
            final String[] parts = line.split("\t", -1);
            assertEquals(2, parts.length, GOLDEN + ":" + lineNo + " is not REASON<TAB>text");
            assertTrue(!parts[0].isEmpty() && !parts[1].isEmpty(), GOLDEN + ":" + lineNo + " has an empty column");
            assertNull(golden.put(parts[0], parts[1]), GOLDEN + ":" + lineNo + " repeats " + parts[0]);
        }
        return golden;
    }
}
