package io.switchboard.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.RawSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Client errors are not server errors (#16): every 4xx on both listeners is one DEBUG line without the URI, a body cut
 * short logs no stack trace, and no token or API key ever reaches the log, whatever the level.
 */
class ClientErrorLogIT {

    private static final String SECRET = "client-error-log-it-secret-0123456789";
    private static final String KEY = "api-key-that-must-never-be-logged";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(
            b -> b.authMode(GatewayConfig.Auth.Mode.HS256).authSecret(SECRET).apiKey(KEY));

    private static String token(String sub) throws Exception {
        final SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject(sub)
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private static int status(InetSocketAddress address, String request) throws IOException {
        try (RawSocket raw = RawSocket.connect(address)) {
            raw.write(request);
            return raw.readResponse().status();
        }
    }

    private static String upgrade(String pathAndQuery, String extraHeader) {
        final String request = RawSocket.upgradeRequest(pathAndQuery, "127.0.0.1");
        return extraHeader == null ? request : request.replace("\r\n\r\n", "\r\n" + extraHeader + "\r\n\r\n");
    }

    @Test
    void clientErrorsAreOneDebugLineAndNoSecretIsEverLogged() throws Exception {
        final String token = token("alice");
        final String forged = token.substring(0, token.length() - 4) + "AAAA";
        final InetSocketAddress main = gateway.address();
        final InetSocketAddress api = gateway.gateway().apiAddress();
        try (LogCapture log = new LogCapture()) {
            // A body cut short: 10 of the 100 bytes announced, then the client goes away.
            try (RawSocket raw = RawSocket.connect(api)) {
                raw.write("POST /api/v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                          + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"to\":\"al");
            }
            assertEquals(400, status(main, upgrade("/pinter/imserver/alice?x=%zz&token=" + token, null)));
            assertEquals(403, status(main, upgrade("/pinter/imserver/bob?token=" + token, null)));
            assertEquals(401, status(main, upgrade("/pinter/imserver/alice?token=" + forged, null)));
            assertEquals(401, status(main, upgrade("/pinter/imserver/alice", "Authorization: Bearer " + forged)));
            assertEquals(404, status(main, "GET /nowhere?token=" + token + " HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(405, status(main, "POST /healthz?token=" + token + " HTTP/1.1\r\nHost: x\r\n"
                                           + "Content-Length: 0\r\n\r\n"));
            assertEquals(426, status(main, "GET /pinter/imserver/alice?token=" + token
                                           + " HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(400, status(main, "GARBAGE\r\n\r\n"));
            assertEquals(400, status(api, "GET /api/v1/users/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                          + KEY + "\r\n\r\n"));
            assertEquals(401, status(api, "GET /api/v1/stats?token=" + token + " HTTP/1.1\r\nHost: x\r\n"
                                          + "Authorization: Bearer " + token + "\r\n\r\n"));
            assertEquals(415, status(api, "POST /api/v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                                          + "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}"));
            assertEquals(400, status(api, "POST /api/v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                                          + "\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n"
                                          + "{\"a\":1}x"));
            // And a successful handshake with the token in the query.
            try (RawSocket ws = RawSocket.upgraded(main, "/pinter/imserver/alice?token=" + token)) {
                ws.writeText("{\"type\":\"ping\"}");
                ws.readFrame();
            }
            assertEquals(200, gateway.api(KEY).get("/api/v1/stats").statusCode());

            final List<ILoggingEvent> events = log.events();
            for (ILoggingEvent e : events) {
                final String text = LogCapture.render(e);
                assertFalse(text.contains(token) || text.contains(forged) || text.contains(token.substring(0, 30))
                            || text.contains(KEY), () -> "a secret in the log: " + e);
                assertFalse(e.getLevel().isGreaterOrEqual(Level.WARN), () -> "a warning for a client error: " + text);
                if (e.getLoggerName().startsWith("io.switchboard")) {
                    assertNull(e.getThrowableProxy(), () -> "a stack trace for a client error: " + text);
                    assertFalse(text.contains("\n"), () -> "more than one line: " + text);
                    assertFalse(text.contains("%zz") || text.contains("/nowhere") || text.contains("imserver/"),
                                () -> "a URI in the log: " + text);
                }
            }
            final long clientErrors = events.stream()
                    .filter(e -> e.getLoggerName().startsWith("io.switchboard") && e.getLevel() == Level.DEBUG)
                    .map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.matches(".* 4(00|01|03|04|05|15|26) .*"))
                    .count();
            assertTrue(clientErrors >= 11, () -> "each 4xx logged at DEBUG: " + clientErrors + " in " + events.size());
        }
    }

    @Test
    void keyAndTokenStayOutOfTheLogWhenTheGatewayStops() throws Exception {
        final String token = token("carol");
        try (LogCapture log = new LogCapture()) {
            try (RawSocket ws = RawSocket.upgraded(gateway.address(), "/pinter/imserver/carol?token=" + token)) {
                gateway.stop();
                ws.readTimeout(Duration.ofSeconds(5)).awaitEof(Duration.ofSeconds(5));
            }
            for (ILoggingEvent e : log.events()) {
                assertFalse(LogCapture.render(e).contains(token) || LogCapture.render(e).contains(KEY), e::toString);
            }
        }
    }
}
