package io.switchboard.gateway.handshake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.session.Role;
import io.switchboard.gateway.testing.GatewayExtension;
import io.switchboard.gateway.testing.HandshakeRejected;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.protocol.Envelope;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code PROTOCOL.md} §1 with authentication on: 401/403 before the upgrade, identity from the token. */
class HandshakeAuthIT {

    private static final String SECRET = "handshake-it-secret-handshake-it-secret";
    private static final String ORIGIN = "https://chat.example.com";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.with(
            b -> b.authMode(GatewayConfig.Auth.Mode.HS256).authSecret(SECRET));

    private static String token(String secret, String sub, String role, long expInSeconds) throws Exception {
        final JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(sub)
                .expirationTime(Date.from(Instant.now().plusSeconds(expInSeconds)));
        if (role != null) {
            claims.claim("role", role);
        }
        final SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private HandshakeRejected rejected(String rawPathAndQuery, WsTestClient.Options options) {
        return assertThrows(HandshakeRejected.class,
                            () -> gateway.connect(gateway.uri(rawPathAndQuery), options).close());
    }

    private static WsTestClient.Options bearer(String token) {
        return WsTestClient.Options.defaults().header("Authorization", "Bearer " + token);
    }

    @Test
    void missingTokenIs401() {
        final HandshakeRejected r = rejected("/pinter/imserver/alice", WsTestClient.Options.defaults());
        assertEquals(401, r.status());
        assertEquals("Bearer", r.headers().get("WWW-Authenticate"));
        assertEquals(1.0, gateway.api().metricSum("switchboard_handshakes_rejected_total"));
    }

    @Test
    void forgedTokenIs401() throws Exception {
        final String forged = token("another-secret-another-secret-another", "alice", null, 300);
        assertEquals(401, rejected("/pinter/imserver/alice?token=" + forged, WsTestClient.Options.defaults())
                .status());
        assertEquals(401, rejected("/pinter/imserver/alice", bearer(forged)).status());
    }

    @Test
    void expiredTokenIs401() throws Exception {
        assertEquals(401, rejected("/pinter/imserver/alice", bearer(token(SECRET, "alice", null, -120))).status());
    }

    @Test
    void anotherUsersTokenIs403() throws Exception {
        assertEquals(403, rejected("/pinter/imserver/alice", bearer(token(SECRET, "mallory", null, 300))).status());
    }

    @Test
    void originOutsideTheAllowListIs403() throws Exception {
        gateway.start(b -> b.allowedOrigins(List.of(ORIGIN)));
        final WsTestClient.Options evil = bearer(token(SECRET, "alice", null, 300))
                .header("Origin", "https://evil.example.com");
        assertEquals(403, rejected("/pinter/imserver/alice", evil).status());
        final WsTestClient.Options good = bearer(token(SECRET, "alice", null, 300)).header("Origin", ORIGIN);
        gateway.connect(gateway.user("alice"), good).close();
    }

    @Test
    void roleComesFromTheTokenNotTheQuery() throws Exception {
        try (WsTestClient agent = gateway.connect(
                     gateway.uri("/pinter/imserver/ag?role=user&token=" + token(SECRET, "ag", "agent", 300)),
                     WsTestClient.Options.defaults());
             WsTestClient user = gateway.connect(gateway.uri("/pinter/imserver/u?role=agent"),
                                                      bearer(token(SECRET, "u", null, 300)))) {
            // A round trip each, so the sessions are registered.
            agent.send(Envelope.client("ping", "1", null, null));
            agent.next("pong", WsTestClient.TIMEOUT);
            user.send(Envelope.client("match", "1", "system", null));
            assertEquals("ag", user.next("match", WsTestClient.TIMEOUT).msg());
            assertEquals(Role.AGENT.wireName(), gateway.api().json("/api/v1/users/ag").get("role").asText());
            assertEquals(Role.USER.wireName(), gateway.api().json("/api/v1/users/u").get("role").asText());
        }
    }
}
