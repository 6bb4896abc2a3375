package io.switchboard.gateway.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The one strict reading of request URIs, shared by both listeners: routes match the raw path (so {@code /%61pi}
 * is not {@code /api}), a path segment is percent-decoded exactly once, and malformed escapes or bytes that are not
 * UTF-8 are refused ({@code null}) rather than replaced, so two different raw ids can never decode to the same one.
 * Stateless.
 */
public final class UriParts {

    private UriParts() {}

    /** The path of {@code uri} as it came, without its query. */
    public static String rawPath(String uri) {
        final int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    /**
     * Percent-decodes one path segment: {@code +} is a plus sign (not a space as in form encoding); {@code null} for a
     * malformed escape or bytes that are not UTF-8. The HTTP decoder hands the request line over as ISO-8859-1, so
     * each char is one raw byte.
     */
    public static String decodeSegment(String raw) {
        final byte[] bytes = new byte[raw.length()];
        int n = 0;
        for (int i = 0; i < raw.length(); i++) {
            final char c = raw.charAt(i);
            if (c == '%') {
                final int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                final int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    return null;
                }
                bytes[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (c <= 0xFF) {
                bytes[n++] = (byte) c;
            } else {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, n))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The query parameters of {@code uri}, or {@code null} if its query has a malformed escape. */
    public static Map<String, List<String>> queryParameters(String uri) {
        try {
            return new QueryStringDecoder(uri).parameters();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
