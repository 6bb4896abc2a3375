package io.switchboard.gateway.webhook;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One event for the backends: its name ({@code connect}, {@code disconnect}, ...), a delivery id that stays the same
 * across retries (the backend's idempotency key), the time it happened, and its fields. Immutable; serialized to JSON
 * by the sender, off the event loop that produced it.
 */
record WebhookEvent(String event, String deliveryId, long timestamp, Map<String, Object> data) {

    static WebhookEvent of(String event, long timestamp, Map<String, Object> data) {
        return new WebhookEvent(event, randomUuid(), timestamp, data);
    }

    /**
     * A version-4 UUID from {@link ThreadLocalRandom}: unique enough for an idempotency key, and without
     * {@code SecureRandom}'s cost on an event loop (it is an id, not a secret).
     */
    static String randomUuid() {
        final ThreadLocalRandom r = ThreadLocalRandom.current();
        final long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
        final long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
