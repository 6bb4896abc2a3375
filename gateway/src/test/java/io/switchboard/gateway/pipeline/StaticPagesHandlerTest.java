package io.switchboard.gateway.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StaticPagesHandlerTest {

    private static final WebResources RESOURCES =
            WebResources.load(StaticPagesHandlerTest.class.getClassLoader(), "/chat");

    private static EmbeddedChannel channel(boolean authorized) {
        return new EmbeddedChannel(new StaticPagesHandler(RESOURCES, () -> "{\"ok\":true}", req -> authorized));
    }

    private static FullHttpRequest get(HttpMethod method, String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    }

    @Test
    void servesAPageWithItsTypeEtagAndTheConfiguredWebSocketPath() {
        final EmbeddedChannel ch = channel(true);
        ch.writeInbound(get(HttpMethod.GET, "/?x=1"));
        final FullHttpResponse res = ch.readOutbound();
        try {
            assertEquals(200, res.status().code());
            assertTrue(res.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("text/html"));
            assertEquals("no-cache", res.headers().get(HttpHeaderNames.CACHE_CONTROL));
            assertTrue(res.content().toString(StandardCharsets.UTF_8).contains("content=\"/chat\""));
        } finally {
            res.release();
        }
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void revalidationGets304AndHeadGetsNoBody() {
        final EmbeddedChannel ch = channel(true);
        final String etag = RESOURCES.get("/assets/protocol.js").etag();
        final FullHttpRequest req = get(HttpMethod.GET, "/assets/protocol.js");
        req.headers().set(HttpHeaderNames.IF_NONE_MATCH, "\"other\", " + etag);
        ch.writeInbound(req);
        FullHttpResponse res = ch.readOutbound();
        assertEquals(304, res.status().code());
        assertEquals(0, res.content().readableBytes());
        res.release();
        ch.writeInbound(get(HttpMethod.HEAD, "/assets/protocol.js"));
        res = ch.readOutbound();
        assertEquals(200, res.status().code());
        assertEquals(0, res.content().readableBytes());
        assertEquals(String.valueOf(RESOURCES.get("/assets/protocol.js").body().length),
                     res.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        res.release();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void unknownPathsAndTraversalPassOnUntouched() {
        final EmbeddedChannel ch = channel(true);
        for (String uri : new String[] {"/assets/../logback.xml", "/assets/%2e%2e/index.html", "/web/index.html",
                                        "/agent/", "/healthz"}) {
            final FullHttpRequest req = get(HttpMethod.GET, uri);
            ch.writeInbound(req);
            final FullHttpRequest passed = ch.readInbound();
            assertSame(req, passed, uri);
            passed.release();
        }
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void statsAnswerJsonWhenAuthorizedAnd401Otherwise() {
        EmbeddedChannel ch = channel(true);
        ch.writeInbound(get(HttpMethod.GET, "/dashboard/stats"));
        FullHttpResponse res = ch.readOutbound();
        assertEquals(200, res.status().code());
        assertEquals("{\"ok\":true}", res.content().toString(StandardCharsets.UTF_8));
        res.release();
        assertFalse(ch.finishAndReleaseAll());

        ch = channel(false);
        ch.writeInbound(get(HttpMethod.GET, "/dashboard/stats"));
        res = ch.readOutbound();
        assertEquals(401, res.status().code());
        assertTrue(res.headers().get(HttpHeaderNames.WWW_AUTHENTICATE).startsWith("Bearer"));
        res.release();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void otherMethodsGet405() {
        final EmbeddedChannel ch = channel(true);
        ch.writeInbound(get(HttpMethod.POST, "/dashboard"));
        final FullHttpResponse res = ch.readOutbound();
        assertEquals(405, res.status().code());
        assertEquals("GET, HEAD", res.headers().get(HttpHeaderNames.ALLOW));
        res.release();
        assertFalse(ch.finishAndReleaseAll());
    }
}
