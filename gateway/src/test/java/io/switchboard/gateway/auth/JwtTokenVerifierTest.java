package io.switchboard.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.session.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtTokenVerifierTest {

    static final String SECRET = "0123456789abcdef0123456789abcdef-test-secret";
    static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Duration SKEW = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final JwtTokenVerifier hs256 = JwtTokenVerifier.hs256(SECRET.getBytes(StandardCharsets.UTF_8), SKEW, CLOCK);

    static JWTClaimsSet.Builder claims(String sub) {
        return new JWTClaimsSet.Builder().subject(sub).expirationTime(Date.from(NOW.plusSeconds(300)));
    }

    static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims) throws JOSEException {
        final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    static String hs(String secret, JWTClaimsSet claims) throws JOSEException {
        return sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), JWSAlgorithm.HS256, null, claims);
    }

    static AuthResult.Failure failure(AuthResult result) {
        return assertInstanceOf(AuthResult.Rejected.class, result).failure();
    }

    @Test
    void validTokenGivesSubjectAndDefaultRole() throws Exception {
        final AuthResult r = hs256.verify(hs(SECRET, claims("alice").build()));
        assertEquals(new AuthResult.Verified("alice", Role.USER), r);
    }

    @Test
    void roleComesFromTheRoleClaim() throws Exception {
        assertEquals(new AuthResult.Verified("bob", Role.AGENT),
                     hs256.verify(hs(SECRET, claims("bob").claim("role", "agent").build())));
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify(hs(SECRET, claims("bob").claim("role", "admin")
                                                                                          .build()))));
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify(hs(SECRET, claims("bob").claim("role", 1)
                                                                                          .build()))));
    }

    @Test
    void missingToken() {
        assertEquals(AuthResult.Failure.MISSING, failure(hs256.verify(null)));
        assertEquals(AuthResult.Failure.MISSING, failure(hs256.verify("  ")));
        assertEquals(401, AuthResult.Failure.MISSING.status());
    }

    @Test
    void expiredBeyondSkewIs401ButWithinSkewIsAccepted() throws Exception {
        final String expired = hs(SECRET, claims("alice").expirationTime(Date.from(NOW.minusSeconds(31))).build());
        assertEquals(AuthResult.Failure.EXPIRED, failure(hs256.verify(expired)));
        final String justExpired = hs(SECRET, claims("alice").expirationTime(Date.from(NOW.minusSeconds(10))).build());
        assertInstanceOf(AuthResult.Verified.class, hs256.verify(justExpired));
    }

    @Test
    void notYetValidBeyondSkew() throws Exception {
        final String future = hs(SECRET, claims("alice").notBeforeTime(Date.from(NOW.plusSeconds(60))).build());
        assertEquals(AuthResult.Failure.NOT_YET_VALID, failure(hs256.verify(future)));
        final String soon = hs(SECRET, claims("alice").notBeforeTime(Date.from(NOW.plusSeconds(20))).build());
        assertInstanceOf(AuthResult.Verified.class, hs256.verify(soon));
    }

    @Test
    void tokenWithoutExpOrSubIsInvalid() throws Exception {
        assertEquals(AuthResult.Failure.INVALID,
                     failure(hs256.verify(hs(SECRET, new JWTClaimsSet.Builder().subject("alice").build()))));
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify(hs(SECRET, claims(null).build()))));
    }

    @Test
    void wrongSignatureIsInvalid() throws Exception {
        final String forged = hs("another-secret-another-secret-another-secret", claims("alice").build());
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify(forged)));
    }

    @Test
    void wrongSubjectIs403() throws Exception {
        final AuthResult r = hs256.verifyFor(hs(SECRET, claims("mallory").build()), "alice");
        assertEquals(AuthResult.Failure.SUBJECT_MISMATCH, failure(r));
        assertEquals(403, AuthResult.Failure.SUBJECT_MISMATCH.status());
        assertInstanceOf(AuthResult.Verified.class, hs256.verifyFor(hs(SECRET, claims("alice").build()), "alice"));
    }

    @Test
    void algNoneIsRefused() {
        final String unsigned = new PlainJWT(claims("alice").build()).serialize();
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify(unsigned)));
        // Also a hand-made "alg":"none" header with an empty signature part.
        final String header = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString();
        final String payload = Base64URL.encode(claims("alice").build().toString()).toString();
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify(header + '.' + payload + '.')));
    }

    @Test
    void tamperedPayloadIsInvalid() throws Exception {
        final String[] parts = hs(SECRET, claims("alice").build()).split("\\.");
        final String payload = Base64URL.encode(claims("alice").claim("role", "agent").build().toString()).toString();
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify(parts[0] + '.' + payload + '.' + parts[2])));
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify("not.a.jwt")));
        assertEquals(AuthResult.Failure.INVALID, failure(hs256.verify("garbage")));
    }

    private Path pem(PublicKey key) throws Exception {
        final String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                  .encodeToString(key.getEncoded());
        final Path file = Files.createTempFile(dir, "key", ".pem");
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    private static GatewayConfig.Auth auth(GatewayConfig.Auth.Mode mode, Path pem, Path jwks) {
        return new GatewayConfig.Auth(mode, "", pem, jwks, SKEW, Duration.ofHours(1), List.of(), "", "", null);
    }

    @Test
    void rs256WithPemKey() throws Exception {
        final RSAKey rsa = new RSAKeyGenerator(2048).generate();
        try (JwtTokenVerifier v = JwtTokenVerifier.create(
                auth(GatewayConfig.Auth.Mode.RS256, pem(rsa.toPublicKey()), null), CLOCK, () -> {})) {
            final String token = sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "any-kid", claims("alice").build());
            assertEquals(new AuthResult.Verified("alice", Role.USER), v.verify(token));
            // Algorithm confusion: an HS256 token keyed with the public key's bytes must not pass.
            final String confused = sign(new MACSigner(rsa.toPublicKey().getEncoded()), JWSAlgorithm.HS256, null,
                                         claims("alice").build());
            assertEquals(AuthResult.Failure.INVALID, failure(v.verify(confused)));
            final RSAKey other = new RSAKeyGenerator(2048).generate();
            assertEquals(AuthResult.Failure.INVALID,
                         failure(v.verify(sign(new RSASSASigner(other), JWSAlgorithm.RS256, null,
                                               claims("alice").build()))));
        }
    }

    @Test
    void es256WithPemKey() throws Exception {
        final ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
        try (JwtTokenVerifier v = JwtTokenVerifier.create(
                auth(GatewayConfig.Auth.Mode.ES256, pem(ec.toPublicKey()), null), CLOCK, () -> {})) {
            final String token = sign(new ECDSASigner(ec), JWSAlgorithm.ES256, null,
                                      claims("carol").claim("role", "agent").build());
            assertEquals(new AuthResult.Verified("carol", Role.AGENT), v.verify(token));
            assertEquals(AuthResult.Failure.INVALID, failure(v.verify(hs(SECRET, claims("carol").build()))));
        }
    }

    @Test
    void badKeyFileFailsAtStartup() throws Exception {
        final Path bad = Files.writeString(dir.resolve("bad.pem"), "not a key");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JwtTokenVerifier
                .create(auth(GatewayConfig.Auth.Mode.RS256, bad, null), CLOCK, () -> {}));
        assertTrue(e.getMessage().contains("bad.pem"), e.getMessage());
    }

    @Test
    void jwksFileIsReloadedWhenItChanges() throws Exception {
        final RSAKey first = new RSAKeyGenerator(2048).keyID("k1").generate();
        final ECKey second = new ECKeyGenerator(Curve.P_256).keyID("k2").generate();
        final Path jwks = dir.resolve("keys.json");
        Files.writeString(jwks, new JWKSet(first.toPublicJWK()).toString());
        final AtomicInteger reloads = new AtomicInteger();
        try (JwtTokenVerifier v = JwtTokenVerifier.create(auth(GatewayConfig.Auth.Mode.JWKS, null, jwks), CLOCK,
                                                          reloads::incrementAndGet)) {
            final String byFirst = sign(new RSASSASigner(first), JWSAlgorithm.RS256, "k1", claims("alice").build());
            final String bySecond = sign(new ECDSASigner(second), JWSAlgorithm.ES256, "k2", claims("alice").build());
            assertInstanceOf(AuthResult.Verified.class, v.verify(byFirst));
            assertEquals(AuthResult.Failure.INVALID, failure(v.verify(bySecond)));

            // Rotate: the new file holds only k2. Move its mtime on, as a real rewrite would.
            Files.writeString(jwks, new JWKSet(second.toPublicJWK()).toString());
            Files.setLastModifiedTime(jwks, FileTime.from(Instant.now().plusSeconds(10)));
            assertTrue(v.watcherForTests().checkNow());
            assertEquals(1, reloads.get());
            assertInstanceOf(AuthResult.Verified.class, v.verify(bySecond));
            assertEquals(AuthResult.Failure.INVALID, failure(v.verify(byFirst)));

            // A broken rewrite keeps the keys in force.
            Files.writeString(jwks, "{ broken");
            Files.setLastModifiedTime(jwks, FileTime.from(Instant.now().plusSeconds(20)));
            assertThrows(Exception.class, () -> v.watcherForTests().checkNow());
            assertInstanceOf(AuthResult.Verified.class, v.verify(bySecond));
        }
    }
}
