package io.switchboard.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.switchboard.gateway.config.GatewayConfig;
import io.switchboard.gateway.session.Role;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TokenVerifier} for JWTs, on nimbus-jose-jwt: the signature check and algorithm handling are the library's
 * (no hand-written crypto). Exactly one family of algorithms is accepted per configuration: HS256 with a shared
 * secret, RS256 or ES256 with a PEM public key, or RS256/ES256 with the keys of a JWKS file (selected by {@code kid}).
 * Unsigned tokens ({@code alg: none}), encrypted tokens and any other algorithm are refused, which also closes the
 * classic "HS256 signed with the RSA public key" confusion.
 *
 * <p>Claims: {@code sub} (required) is the userId; {@code exp} is required; {@code nbf} is honoured; both with
 * {@code clockSkew} of tolerance; {@code role} is {@code user} (the default) or {@code agent}. Optionally
 * ({@link Claims}): {@code aud} must name the configured audience, {@code iss} must be the configured issuer, and
 * {@code exp} may lie at most the maximum lifetime after {@code iat} (after now without {@code iat}).
 *
 * <p>Thread-safe. {@link #verify} is pure CPU on cached keys; key files are re-read by a {@link KeyFileWatcher}
 * thread. Non-blocking; safe to call from an event loop.
 */
public final class JwtTokenVerifier implements TokenVerifier, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(JwtTokenVerifier.class);
    /** The {@code role} claim. */
    public static final String ROLE_CLAIM = "role";

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final long skewMillis;
    private final Clock clock;
    private final KeyFileWatcher watcher;
    private final Claims required;

    /**
     * The optional claim checks of {@code docs/AUTH.md}.
     *
     * @param audience    the {@code aud} a token must name; empty: not checked
     * @param issuer      the {@code iss} a token must carry; empty: not checked
     * @param maxLifetime the longest {@code exp - iat} accepted; {@code null}: not checked
     */
    record Claims(String audience, String issuer, Duration maxLifetime) {
        static final Claims NONE = new Claims("", "", null);

        static Claims of(GatewayConfig.Auth auth) {
            return new Claims(auth.audience(), auth.issuer(), auth.maxLifetime());
        }
    }

    private JwtTokenVerifier(JWSKeySelector<SecurityContext> selector, Duration clockSkew, Clock clock,
                             KeyFileWatcher watcher, Claims required) {
        this.required = required;
        processor.setJWSKeySelector(selector);
        // Time claims are checked below, against our clock and skew, so that the failures are typed.
        processor.setJWTClaimsSetVerifier((claims, context) -> {});
        this.skewMillis = clockSkew.toMillis();
        this.clock = clock;
        this.watcher = watcher;
    }

    /**
     * The verifier {@code auth} describes.
     *
     * @throws IllegalArgumentException if auth is off, or a key file cannot be read or parsed
     */
    public static JwtTokenVerifier create(GatewayConfig.Auth auth, Clock clock, Runnable onKeyReload) {
        switch (auth.mode()) {
            case HS256:
                return hs256(auth.secret().getBytes(StandardCharsets.UTF_8), auth.clockSkew(), clock,
                             Claims.of(auth));
            case RS256:
                return publicKeyFile(auth, JWSAlgorithm.RS256, clock, onKeyReload);
            case ES256:
                return publicKeyFile(auth, JWSAlgorithm.ES256, clock, onKeyReload);
            case JWKS:
                return jwksFile(auth, clock, onKeyReload);
            default:
                throw new IllegalArgumentException("auth mode " + auth.mode() + " has no verifier");
        }
    }

    static JwtTokenVerifier hs256(byte[] secret, Duration clockSkew, Clock clock) {
        return hs256(secret, clockSkew, clock, Claims.NONE);
    }

    static JwtTokenVerifier hs256(byte[] secret, Duration clockSkew, Clock clock, Claims required) {
        final List<Key> keys = List.of(new SecretKeySpec(secret, "HmacSHA256"));
        return new JwtTokenVerifier((header, ctx) -> JWSAlgorithm.HS256.equals(header.getAlgorithm()) ? keys
                                                                                                     : List.of(),
                                    clockSkew, clock, null, required);
    }

    private static JwtTokenVerifier publicKeyFile(GatewayConfig.Auth auth, JWSAlgorithm alg, Clock clock,
                                                  Runnable onKeyReload) {
        final boolean rsa = JWSAlgorithm.RS256.equals(alg);
        final KeyFileWatcher watcher = new KeyFileWatcher(auth.publicKeyFile(), text -> {
            final JWK jwk = rsa
                    ? new RSAKey.Builder((RSAPublicKey) PemPublicKeys.parse(text, "RSA")).keyUse(KeyUse.SIGNATURE)
                                                                                           .build()
                    : new ECKey.Builder(com.nimbusds.jose.jwk.Curve.P_256,
                                        (ECPublicKey) PemPublicKeys.parse(text, "EC")).keyUse(KeyUse.SIGNATURE)
                                                                                      .build();
            return new JWKSet(jwk);
        }, auth.keyReloadCheck(), onKeyReload);
        // One key and one algorithm: the token's kid, if any, is not consulted.
        return new JwtTokenVerifier((header, ctx) -> alg.equals(header.getAlgorithm())
                                                     ? publicKeys(watcher.current().getKeys()) : List.of(),
                                    auth.clockSkew(), clock, watcher, Claims.of(auth));
    }

    private static JwtTokenVerifier jwksFile(GatewayConfig.Auth auth, Clock clock, Runnable onKeyReload) {
        final KeyFileWatcher watcher = new KeyFileWatcher(auth.jwksFile(), JWKSet::parse, auth.keyReloadCheck(),
                                                          onKeyReload);
        final Set<JWSAlgorithm> allowed = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
        return new JwtTokenVerifier((header, ctx) -> {
            if (!allowed.contains(header.getAlgorithm())) {
                return List.of();
            }
            // Matches the key type of the algorithm and the kid, when the token names one.
            final JWKMatcher matcher = JWKMatcher.forJWSHeader(header);
            return matcher == null ? List.of()
                                   : publicKeys(new JWKSelector(matcher).select(watcher.current()));
        }, auth.clockSkew(), clock, watcher, Claims.of(auth));
    }

    private static List<Key> publicKeys(List<JWK> jwks) {
        final List<Key> keys = new ArrayList<>(jwks.size());
        try {
            for (JWK jwk : jwks) {
                if (jwk instanceof RSAKey rsa) {
                    keys.add(rsa.toPublicKey());
                } else if (jwk instanceof ECKey ec) {
                    keys.add(ec.toPublicKey());
                }
            }
        } catch (JOSEException e) {
            logger.warn("Unusable verification key: {}", e.toString());
        }
        return keys;
    }

    @Override
    public AuthResult verify(String token) {
        if (token == null || token.isBlank()) {
            return reject(AuthResult.Failure.MISSING);
        }
        final JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException | BadJOSEException | JOSEException | RuntimeException e) {
            // The exception text may quote token parts; keep it at DEBUG and never log the token itself.
            logger.debug("token refused: {}", e.getClass().getSimpleName());
            return reject(AuthResult.Failure.INVALID);
        }
        final String subject = claims.getSubject();
        final Date exp = claims.getExpirationTime();
        if (subject == null || subject.isEmpty() || exp == null) {
            return reject(AuthResult.Failure.INVALID);
        }
        final long now = clock.millis();
        // RFC 7519 §4.1.4: not accepted on or after exp; §4.1.5: not before nbf. Both give the clocks some slack.
        if (now >= exp.getTime() + skewMillis) {
            return reject(AuthResult.Failure.EXPIRED);
        }
        final Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now < nbf.getTime() - skewMillis) {
            return reject(AuthResult.Failure.NOT_YET_VALID);
        }
        final AuthResult.Failure claimFailure = checkRequired(claims, exp.getTime(), now);
        if (claimFailure != null) {
            return reject(claimFailure);
        }
        final Object roleClaim = claims.getClaim(ROLE_CLAIM);
        final Role role = roleClaim == null ? Role.USER
                                            : roleClaim instanceof String s ? Role.fromWire(s) : null;
        if (role == null) {
            return reject(AuthResult.Failure.INVALID);
        }
        return new AuthResult.Verified(subject, role);
    }

    /** The optional checks: {@code aud}, {@code iss} and the lifetime; {@code null} when they pass. */
    private AuthResult.Failure checkRequired(JWTClaimsSet claims, long expMillis, long nowMillis) {
        if (!required.audience().isEmpty()
            && (claims.getAudience() == null || !claims.getAudience().contains(required.audience()))) {
            return AuthResult.Failure.WRONG_AUDIENCE;
        }
        if (!required.issuer().isEmpty() && !required.issuer().equals(claims.getIssuer())) {
            return AuthResult.Failure.WRONG_ISSUER;
        }
        if (required.maxLifetime() != null) {
            // From iat, or from now without one; an iat in the future counts from now, so it cannot stretch exp.
            final Date iat = claims.getIssueTime();
            final long from = iat == null ? nowMillis : Math.min(iat.getTime(), nowMillis);
            if (expMillis - from > required.maxLifetime().toMillis()) {
                return AuthResult.Failure.TOO_LONG_LIVED;
            }
        }
        return null;
    }

    private static AuthResult reject(AuthResult.Failure failure) {
        return new AuthResult.Rejected(failure);
    }

    /** The key file watcher, or {@code null} (HS256); for tests that drive a reload. */
    KeyFileWatcher watcherForTests() {
        return watcher;
    }

    /** Stops watching the key file, if any. */
    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
    }
}
