package io.switchboard.gateway.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.switchboard.gateway.http.OpsEndpoints;
import io.switchboard.gateway.metrics.GatewayMetrics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HttpEndpointsHandlerTest {

    private static final String HEALTH = "{\"status\":\"up\",\"sessions\":0}";

    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
    private final HttpEndpointsHandler handler =
            new HttpEndpointsHandler("/pinter/imserver", new OpsEndpoints(ready::get, () -> HEALTH, null), metrics);

    private static FullHttpRequest get(String uri) {
        return request(HttpMethod.GET, uri);
    }

    private static FullHttpRequest request(HttpMethod method, String uri) {
        final FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        req.headers().set(HttpHeaderNames.HOST, "localhost");
        return req;
    }

    /** What the handler answered: status, body, and whether the connection stayed open. */
    private record Answer(int status, String body, FullHttpResponse headersOnly, boolean open) {}

    private Answer answer(FullHttpRequest req) {
        final EmbeddedChannel ch = new EmbeddedChannel(handler);
        ch.writeInbound(req);
        assertNull(ch.readInbound(), "an answered request goes no further");
        assertEquals(0, req.refCnt(), "the request is released");
        final FullHttpResponse res = ch.readOutbound();
        final Answer a;
        try {
            assertTrue(res.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("application/json"));
            assertEquals(res.content().readableBytes(), res.headers().getInt(HttpHeaderNames.CONTENT_LENGTH));
            a = new Answer(res.status().code(), res.content().toString(StandardCharsets.UTF_8),
                           res.replace(io.netty.buffer.Unpooled.EMPTY_BUFFER), ch.isOpen());
        } finally {
            res.release();
        }
        assertFalse(ch.finishAndReleaseAll());
        return a;
    }

    @Test
    void healthz() {
        final Answer a = answer(get("/healthz"));
        assertEquals(200, a.status());
        assertEquals(HEALTH, a.body());
        assertTrue(a.open(), "HTTP/1.1 keep-alive");
        assertEquals("no-store", a.headersOnly().headers().get(HttpHeaderNames.CACHE_CONTROL));
        assertEquals(200, answer(request(HttpMethod.HEAD, "/healthz")).status());
        assertEquals(200, answer(get("/healthz?verbose=1")).status());
    }

    @Test
    void readyzIs503WhileDraining() {
        assertEquals(200, answer(get("/readyz")).status());
        assertEquals("{\"status\":\"ready\"}", answer(get("/readyz")).body());
        ready.set(false);
        final Answer draining = answer(get("/readyz"));
        assertEquals(503, draining.status());
        assertEquals("{\"status\":\"draining\"}", draining.body());
        assertEquals(200, answer(get("/healthz")).status(), "still alive while draining");
    }

    @Test
    void anUnknownPathIs404() {
        final Answer a = answer(get("/nope"));
        assertEquals(404, a.status());
        assertTrue(a.body().startsWith("{\"status\":404,"));
        assertEquals(404, answer(get("/")).status());
        assertEquals(404, answer(get("/healthz/x")).status());
    }

    @Test
    void anotherMethodIs405WithAllow() {
        final Answer a = answer(request(HttpMethod.POST, "/healthz"));
        assertEquals(405, a.status());
        assertEquals("GET, HEAD", a.headersOnly().headers().get(HttpHeaderNames.ALLOW));
        assertEquals(405, answer(request(HttpMethod.DELETE, "/readyz")).status());
    }

    @Test
    void aPlainRequestToTheWebSocketPathIs426() {
        final Answer a = answer(get("/pinter/imserver/admin"));
        assertEquals(426, a.status());
        assertEquals("websocket", a.headersOnly().headers().get(HttpHeaderNames.UPGRADE));
        assertEquals("13", a.headersOnly().headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION));
        assertFalse(a.open());
        assertEquals(426, answer(get("/pinter/imserver")).status());
        assertEquals(2, metrics.snapshot().get("handshakes.rejected"));
    }

    @Test
    void decoderFailuresAre400And414And431() {
        final FullHttpRequest garbage = get("/bad");
        garbage.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid version format")));
        final Answer a = answer(garbage);
        assertEquals(400, a.status());
        assertFalse(a.open(), "a broken request closes the connection");

        // A decoder failure is answered even when the request looks like an upgrade.
        final FullHttpRequest badUpgrade = HandshakeGuardHandlerTest.upgrade("/pinter/imserver/admin");
        badUpgrade.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("x")));
        assertEquals(400, answer(badUpgrade).status());

        final FullHttpRequest longLine = get("/bad");
        longLine.setDecoderResult(DecoderResult.failure(new TooLongHttpLineException("too long")));
        assertEquals(414, answer(longLine).status());
        final FullHttpRequest bigHeaders = get("/bad");
        bigHeaders.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("too big")));
        assertEquals(431, answer(bigHeaders).status());
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheAnswer() {
        final FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/healthz");
        final Answer a = answer(req);
        assertEquals(200, a.status());
        assertEquals("close", a.headersOnly().headers().get(HttpHeaderNames.CONNECTION));
        assertFalse(a.open());
    }

    @Test
    void upgradeRequestsPassThroughUntouched() {
        final EmbeddedChannel ch = new EmbeddedChannel(handler);
        final FullHttpRequest req = HandshakeGuardHandlerTest.upgrade("/pinter/imserver/admin");
        ch.writeInbound(req);
        final FullHttpRequest passed = ch.readInbound();
        try {
            assertSame(req, passed);
            assertEquals(1, passed.refCnt());
        } finally {
            passed.release();
        }
        assertNull(ch.readOutbound());
        ch.writeInbound("not http");
        assertEquals("not http", ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
    }
}
