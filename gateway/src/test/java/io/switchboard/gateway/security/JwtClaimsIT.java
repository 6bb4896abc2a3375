package io.switchboard.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.HandshakeRejected;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The optional JWT checks of #16 ({@code docs/AUTH.md}): {@code auth-audience}, {@code auth-issuer} and
 * {@code auth-max-lifetime}, with tokens minted by nimbus-jose-jwt, against a real handshake.
 */
class JwtClaimsIT {

    private static final String SECRET = "jwt-claims-it-secret-jwt-claims-it-secret";
    private static final String AUD = "switchboard-chat";
    private static final String ISS = "https://idp.example.com";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(
            b -> b.authMode(GatewayConfig.Auth.Mode.HS256).authSecret(SECRET).authAudience(AUD).authIssuer(ISS)
                  .authMaxLifetime(Duration.ofHours(1)));

    private static String token(UnaryOperator<JWTClaimsSet.Builder> claims) throws Exception {
        final Instant now = Instant.now();
        final JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().subject("alice").audience(AUD).issuer(ISS)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)));
        final SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.apply(b).build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private static WsTestClient.Options bearer(String token) {
        return WsTestClient.Options.defaults().header("Authorization", "Bearer " + token);
    }

    private static void assertRefused(String token, String why) {
        final HandshakeRejected r = assertThrows(HandshakeRejected.class,
                () -> gateway.connect(gateway.user("alice"), bearer(token)).close(), why);
        assertEquals(401, r.status(), why);
        assertEquals("Bearer error=\"invalid_token\"", r.headers().get("WWW-Authenticate"), why);
    }

    @Test
    void aTokenWithTheRightAudienceIssuerAndLifetimeConnects() throws Exception {
        try (WsTestClient c = gateway.connect(gateway.user("alice"), bearer(token(b -> b)))) {
            c.send(Envelope.client("ping", "p", null, null));
            assertEquals("pong", c.next("pong", WsTestClient.TIMEOUT).type());
        }
        // One of several audiences is enough.
        gateway.connect(gateway.user("alice"), bearer(token(b -> b.audience(List.of("other", AUD))))).close();
    }

    @Test
    void aWrongOrMissingAudienceIsRefused() throws Exception {
        assertRefused(token(b -> b.audience("another-service")), "other audience");
        assertRefused(token(b -> b.audience((String) null)), "no audience");
    }

    @Test
    void aWrongOrMissingIssuerIsRefused() throws Exception {
        assertRefused(token(b -> b.issuer("https://evil.example.com")), "other issuer");
        assertRefused(token(b -> b.issuer(null)), "no issuer");
    }

    @Test
    void aTokenLivingLongerThanTheMaximumIsRefused() throws Exception {
        final Instant now = Instant.now();
        // The finding: exp in year 9999.
        assertRefused(token(b -> b.expirationTime(Date.from(Instant.parse("9999-12-31T00:00:00Z")))), "year 9999");
        assertRefused(token(b -> b.expirationTime(Date.from(now.plus(Duration.ofHours(2))))), "exp - iat = 2 h");
        // Without iat, exp - now counts.
        assertRefused(token(b -> b.issueTime(null).expirationTime(Date.from(now.plus(Duration.ofHours(2))))),
                      "no iat, exp in 2 h");
        // An iat in the future cannot stretch the lifetime.
        assertRefused(token(b -> b.issueTime(Date.from(now.plus(Duration.ofHours(5))))
                                  .expirationTime(Date.from(now.plus(Duration.ofHours(5).plusMinutes(10))))),
                      "iat in the future");
        gateway.connect(gateway.user("alice"), bearer(token(b -> b.issueTime(null)))).close();
        gateway.connect(gateway.user("alice"),
                        bearer(token(b -> b.issueTime(Date.from(now.minus(Duration.ofMinutes(40))))))).close();
    }
}
