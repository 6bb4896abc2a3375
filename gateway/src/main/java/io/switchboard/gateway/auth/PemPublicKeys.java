package io.switchboard.gateway.auth;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** Reads a {@code -----BEGIN PUBLIC KEY-----} (X.509 SubjectPublicKeyInfo) PEM block: decoding only, no crypto. */
final class PemPublicKeys {

    private static final String BEGIN = "-----BEGIN PUBLIC KEY-----";
    private static final String END = "-----END PUBLIC KEY-----";

    private PemPublicKeys() {}

    /**
     * @param algorithm {@code RSA} or {@code EC}
     * @throws IllegalArgumentException if the text holds no such key
     */
    static PublicKey parse(String pem, String algorithm) {
        final int begin = pem.indexOf(BEGIN);
        final int end = pem.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("not a PEM public key (expected: " + BEGIN + " ... " + END + ')');
        }
        final String base64 = pem.substring(begin + BEGIN.length(), end).replaceAll("\\s", "");
        try {
            final byte[] der = Base64.getDecoder().decode(base64);
            return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("not a valid " + algorithm + " public key: " + e.getMessage(), e);
        }
    }
}
