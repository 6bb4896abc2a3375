package io.switchboard.gateway.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.ConnectionIdentity;
import io.switchboard.gateway.session.Role;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HandshakeGuardHandlerTest {

    private static final long TIMEOUT_MILLIS = 10_000;

    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(
                new HandshakeGuardHandler("/pinter/imserver", TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS), metrics));
    }

    static FullHttpRequest upgrade(String uri) {
        return upgrade(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    static FullHttpRequest upgrade(HttpVersion version, HttpMethod method, String uri) {
        final FullHttpRequest req = new DefaultFullHttpRequest(version, method, uri);
        req.headers().set(HttpHeaderNames.HOST, "localhost:8080")
           .set(HttpHeaderNames.UPGRADE, "websocket")
           .set(HttpHeaderNames.CONNECTION, "Upgrade")
           .set(HttpHeaderNames.SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
           .set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
        return req;
    }

    /** Sends an acceptable upgrade and returns the identity the guard stored; the request passed on intact. */
    /** Equal but for when each was accepted. */
    private static void assertSameIdentity(ConnectionIdentity expected, ConnectionIdentity actual) {
        assertEquals(expected, new ConnectionIdentity(actual.userId(), actual.role(), actual.ack(), actual.since(),
                                                      expected.acceptedAtNanos()));
    }

    private ConnectionIdentity accept(FullHttpRequest req) {
        final EmbeddedChannel ch = channel();
        ch.writeInbound(req);
        final FullHttpRequest passed = ch.readInbound();
        try {
            assertSame(req, passed, "the request goes on to ws-protocol");
            assertEquals(1, passed.refCnt(), "and keeps its reference");
        } finally {
            passed.release();
        }
        assertNull(ch.readOutbound(), "no response");
        assertTrue(ch.isOpen());
        final ConnectionIdentity identity = ch.attr(SessionAttributes.IDENTITY).get();
        assertFalse(ch.finishAndReleaseAll());
        return identity;
    }

    /** Sends a request the guard must refuse; returns the response after checking the common parts. */
    private void reject(FullHttpRequest req, int status, String headerName, String headerValue) {
        final EmbeddedChannel ch = channel();
        ch.writeInbound(req);
        assertNull(ch.readInbound(), "a refused request goes no further");
        assertEquals(0, req.refCnt(), "and is released");
        final FullHttpResponse res = ch.readOutbound();
        try {
            assertEquals(status, res.status().code());
            assertEquals("close", res.headers().get(HttpHeaderNames.CONNECTION));
            assertTrue(res.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("application/json"));
            final String body = res.content().toString(StandardCharsets.UTF_8);
            assertTrue(body.startsWith("{\"status\":" + status + ",\"error\":\""), body);
            assertEquals(res.content().readableBytes(), res.headers().getInt(HttpHeaderNames.CONTENT_LENGTH));
            if (headerName != null) {
                assertEquals(headerValue, res.headers().get(headerName));
            }
        } finally {
            res.release();
        }
        assertFalse(ch.isOpen(), "the connection is closed after the response");
        assertNull(ch.attr(SessionAttributes.IDENTITY).get());
        assertFalse(ch.finishAndReleaseAll());
    }

    private void reject(FullHttpRequest req, int status) {
        reject(req, status, null, null);
    }

    @Test
    void acceptsAUserAndStoresItsIdentity() {
        assertSameIdentity(new ConnectionIdentity("admin", Role.USER), accept(upgrade("/pinter/imserver/admin")));
        assertEquals(0, metrics.snapshot().get("handshakes.rejected"));
    }

    @Test
    void roleAgentMarksAnAgent() {
        assertSameIdentity(new ConnectionIdentity("cf21__mtx", Role.AGENT),
                           accept(upgrade("/pinter/imserver/cf21__mtx?role=agent")));
        assertEquals(Role.USER, accept(upgrade("/pinter/imserver/u?role=user")).role());
        assertEquals(Role.AGENT, accept(upgrade("/pinter/imserver/u?role=AGENT")).role());
        assertEquals(Role.USER, accept(upgrade("/pinter/imserver/u?other=1")).role());
    }

    @Test
    void userIdIsPercentDecodedAsAPathSegment() {
        assertEquals("a+b", accept(upgrade("/pinter/imserver/a+b")).userId(), "'+' is a plus in a path");
        assertEquals("a+b", accept(upgrade("/pinter/imserver/a%2Bb")).userId());
        assertEquals("张三", accept(upgrade("/pinter/imserver/%E5%BC%A0%E4%B8%89")).userId());
        assertEquals("a.b-c_d~e@f", accept(upgrade("/pinter/imserver/a.b-c_d~e@f")).userId());
        assertEquals("x".repeat(128), accept(upgrade("/pinter/imserver/" + "x".repeat(128))).userId());
    }

    @Test
    void badUserIdsAre400() {
        reject(upgrade("/pinter/imserver/a%2Fb"), 400);       // decodes to a '/'
        reject(upgrade("/pinter/imserver/a/b"), 400);
        reject(upgrade("/pinter/imserver/a%20b"), 400);       // whitespace
        reject(upgrade("/pinter/imserver/a%09b"), 400);       // control character
        reject(upgrade("/pinter/imserver/a%00b"), 400);
        reject(upgrade("/pinter/imserver/"), 400);            // empty
        reject(upgrade("/pinter/imserver/?role=agent"), 400); // empty, with a query
        reject(upgrade("/pinter/imserver/" + "x".repeat(129)), 400);
        reject(upgrade("/pinter/imserver/%zz"), 400);         // not percent-encoding
        reject(upgrade("/pinter/imserver/%E5%BC"), 400);      // truncated UTF-8
        reject(upgrade("/pinter/imserver/%C0%AF"), 400);      // overlong '/', not UTF-8
        reject(upgrade("/pinter/imserver/%FF"), 400);         // never UTF-8
        reject(upgrade("/pinter/imserver/ab%4"), 400);        // truncated escape
        reject(upgrade("/pinter/imserver/ab%"), 400);
        assertEquals(14, metrics.snapshot().get("handshakes.rejected"));
    }

    @Test
    void aBadRoleIs400() {
        reject(upgrade("/pinter/imserver/u?role=admin"), 400);
        reject(upgrade("/pinter/imserver/u?role=agent&role=user"), 400);
    }

    @Test
    void anotherPathIs404() {
        reject(upgrade("/other/admin"), 404);
        reject(upgrade("/pinter/imserverX/admin"), 404);
        reject(upgrade("/pinter/imserver"), 404);
    }

    @Test
    void anotherMethodIs405WithAllow() {
        reject(upgrade(HttpVersion.HTTP_1_1, HttpMethod.POST, "/pinter/imserver/admin"), 405, "allow", "GET");
    }

    @Test
    void anOlderWebSocketVersionIs426NamingVersion13() {
        final FullHttpRequest req = upgrade("/pinter/imserver/admin");
        req.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "8");
        reject(req, 426, "sec-websocket-version", "13");
        final FullHttpRequest none = upgrade("/pinter/imserver/admin");
        none.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        reject(none, 426, "sec-websocket-version", "13");
    }

    @Test
    void notHttp11OrNoHostIs400() {
        reject(upgrade(HttpVersion.HTTP_1_0, HttpMethod.GET, "/pinter/imserver/admin"), 400);
        final FullHttpRequest noHost = upgrade("/pinter/imserver/admin");
        noHost.headers().remove(HttpHeaderNames.HOST);
        reject(noHost, 400);
    }

    @Test
    void missingUpgradeHeadersAre400() {
        final FullHttpRequest noConnection = upgrade("/pinter/imserver/admin");
        noConnection.headers().set(HttpHeaderNames.CONNECTION, "keep-alive");
        reject(noConnection, 400);
        final FullHttpRequest noKey = upgrade("/pinter/imserver/admin");
        noKey.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        reject(noKey, 400);
        final FullHttpRequest shortKey = upgrade("/pinter/imserver/admin");
        shortKey.headers().set(HttpHeaderNames.SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZQ==");
        reject(shortKey, 400);
        // A comma-separated Connection header that includes Upgrade is fine.
        final FullHttpRequest listed = upgrade("/pinter/imserver/admin");
        listed.headers().set(HttpHeaderNames.CONNECTION, "keep-alive, Upgrade");
        assertEquals("admin", accept(listed).userId());
    }

    @Test
    void otherMessagesPassThrough() {
        final EmbeddedChannel ch = channel();
        ch.writeInbound("not http");
        assertEquals("not http", ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void theHandshakeDeadlineClosesASilentConnection() {
        final EmbeddedChannel ch = channel();
        ch.advanceTimeBy(TIMEOUT_MILLIS - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        assertNull(ch.readOutbound(), "no response, just a close");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void removingTheGuardCancelsTheDeadline() {
        final EmbeddedChannel ch = channel();
        ch.pipeline().removeFirst();
        ch.advanceTimeBy(TIMEOUT_MILLIS * 2, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }
}
