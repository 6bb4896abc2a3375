package io.switchboard.protocol.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.switchboard.protocol.Envelope;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Reads and writes {@link Envelope}s as UTF-8 JSON, with no intermediate {@code String}.
 *
 * <p>Reading is strict, as {@code PROTOCOL.md} §2 requires: the input must be exactly one JSON object; a known field
 * given as a number, boolean, object or array is an error (no coercion to string); unknown fields are ignored;
 * trailing bytes after the object are an error. Hostile input is bounded by {@link StreamReadConstraints}: nesting
 * depth, string, number and document length.
 *
 * <p>Immutable and thread-safe: one instance serves every connection.
 */
public final class EnvelopeJson {

    /** Deepest nesting accepted (unknown fields may hold objects; the envelope itself is flat). */
    public static final int MAX_NESTING_DEPTH = 32;
    /** Longest single JSON string or name accepted, in chars; larger than any frame the gateway accepts. */
    public static final int MAX_STRING_CHARS = 1 << 20;
    /** Longest number literal accepted, in digits. */
    public static final int MAX_NUMBER_CHARS = 64;

    private final ObjectReader reader;
    private final ObjectWriter writer;

    private EnvelopeJson(ObjectMapper mapper) {
        reader = mapper.readerFor(Envelope.class);
        writer = mapper.writerFor(Envelope.class);
    }

    /** The codec with the protocol's strict settings. */
    public static EnvelopeJson create() {
        final JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxStringLength(MAX_STRING_CHARS)
                        .maxNameLength(MAX_STRING_CHARS)
                        .maxNumberLength(MAX_NUMBER_CHARS)
                        .maxDocumentLength(MAX_STRING_CHARS)
                        .build())
                // A repeated field is ambiguous: reject it rather than let the last one silently win.
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                // Emoji go out as 4 raw UTF-8 bytes rather than two escaped surrogates.
                .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                .build();
        final JsonMapper mapper = JsonMapper.builder(factory)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .disable(DeserializationFeature.UNWRAP_SINGLE_VALUE_ARRAYS)
                .build();
        // PROTOCOL.md §2: a field given as a number or boolean makes the message malformed.
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Array, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Object, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyArray, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyObject, CoercionAction.Fail);
        return new EnvelopeJson(mapper);
    }

    /**
     * Reads one envelope from {@code in}, which must hold exactly one JSON object.
     *
     * @throws MalformedEnvelopeException if the input is not a valid envelope; the stream is left wherever parsing
     *                                    stopped
     * @throws IOException                if {@code in} itself fails
     */
    public Envelope read(InputStream in) throws IOException {
        final Envelope envelope;
        try {
            envelope = reader.readValue(in);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        }
        if (envelope == null) {
            throw new MalformedEnvelopeException("not a JSON object: null", null);
        }
        return envelope;
    }

    /** Reads one envelope from a byte array; see {@link #read(InputStream)}. */
    public Envelope read(byte[] json) throws IOException {
        final Envelope envelope;
        try {
            envelope = reader.readValue(json);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        }
        if (envelope == null) {
            throw new MalformedEnvelopeException("not a JSON object: null", null);
        }
        return envelope;
    }

    /**
     * The parser's failure as a fixed category. Jackson's own messages quote the offending tokens, values and field
     * names, and {@link MalformedEnvelopeException} promises not to echo the input; the parser's exception stays
     * attached as the cause.
     */
    private static MalformedEnvelopeException malformed(JsonProcessingException e) {
        final String problem;
        if (e instanceof StreamConstraintsException) {
            problem = "over a nesting, length or size limit";
        } else if (e instanceof MismatchedInputException) {
            problem = "not exactly one JSON object of string fields";
        } else {
            problem = "not valid JSON";
        }
        return new MalformedEnvelopeException(problem, e);
    }

    /** Writes {@code envelope} as UTF-8 JSON to {@code out}. Does not close {@code out}. */
    public void write(Envelope envelope, OutputStream out) throws IOException {
        writer.writeValue(out, envelope);
    }

    /** The envelope as UTF-8 JSON bytes (for tests, logs of shapes, and non-Netty clients). */
    public byte[] toBytes(Envelope envelope) {
        try {
            return writer.writeValueAsBytes(envelope);
        } catch (JsonProcessingException e) {
            // An Envelope is strings only; this cannot fail short of a Jackson bug.
            throw new IllegalStateException("cannot serialize envelope", e);
        }
    }
}
