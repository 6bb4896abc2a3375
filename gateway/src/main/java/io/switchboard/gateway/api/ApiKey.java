package io.switchboard.gateway.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.function.Predicate;

/**
 * The API key check: a request passes when no key is configured, or when it carries
 * {@code Authorization: Bearer <key>}. The server-side API and the dashboard's figures use the same instance.
 * Comparing SHA-256 digests takes the same time whatever the key's length or content (no timing oracle).
 * Immutable and thread-safe.
 */
public final class ApiKey implements Predicate<HttpRequest> {

    private final byte[] digest;

    /**
     * @param key the key; empty means none is required
     */
    public ApiKey(String key) {
        this.digest = key.isEmpty() ? null : sha256(key);
    }

    /** Whether a key is configured. */
    public boolean isRequired() {
        return digest != null;
    }

    @Override
    public boolean test(HttpRequest req) {
        if (digest == null) {
            return true;
        }
        final String header = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        final String key = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                           ? header.substring(7).trim() : "";
        return MessageDigest.isEqual(digest, sha256(key));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
