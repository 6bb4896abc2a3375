package io.switchboard.loadtest.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The JSON mapping of results and reports: one configured, thread-safe mapper. */
public final class ResultJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private ResultJson() {}

    /** The shared mapper (immutable configuration; do not reconfigure). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** {@code result} as one line of JSON (the worker's final stdout line). */
    public static String toLine(RunResult result) {
        try {
            return MAPPER.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize result", e);
        }
    }

    /** Parses what {@link #toLine} wrote. */
    public static RunResult fromLine(String line) {
        try {
            return MAPPER.readValue(line, RunResult.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a run result: " + e.getOriginalMessage(), e);
        }
    }
}
