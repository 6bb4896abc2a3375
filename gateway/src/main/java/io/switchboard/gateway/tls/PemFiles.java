package io.switchboard.gateway.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a PEM certificate chain and its PKCS#8 private key with the JDK alone (no BouncyCastle), and checks that the
 * key belongs to the leaf: a rotation caught between writing the new certificate and the new key must not be served.
 */
final class PemFiles {

    private static final Pattern PRIVATE_KEY =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final byte[] PROBE = "switchboard key check".getBytes(StandardCharsets.US_ASCII);

    /** The certificate chain (leaf first) and the leaf's private key. */
    record KeyPair(X509Certificate[] chain, PrivateKey key) {
        X509Certificate leaf() {
            return chain[0];
        }
    }

    private PemFiles() {}

    /**
     * Reads both files and checks that they belong together.
     *
     * @throws GeneralSecurityException if a file holds no certificate or key, or the key is not the leaf's
     * @throws IOException              if a file cannot be read
     */
    static KeyPair read(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
        final X509Certificate[] chain = certificates(Files.readAllBytes(certFile));
        final PrivateKey key = privateKey(Files.readString(keyFile, StandardCharsets.US_ASCII));
        if (!matches(key, chain[0].getPublicKey())) {
            throw new GeneralSecurityException("the private key does not belong to the first certificate ("
                                               + chain[0].getSubjectX500Principal() + ')');
        }
        return new KeyPair(chain, key);
    }

    private static X509Certificate[] certificates(byte[] pem) throws GeneralSecurityException {
        final List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : CertificateFactory.getInstance("X.509")
                                               .generateCertificates(new ByteArrayInputStream(pem))) {
            chain.add((X509Certificate) c);
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no certificate in the file");
        }
        return chain.toArray(new X509Certificate[0]);
    }

    private static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        final Matcher m = PRIVATE_KEY.matcher(pem);
        if (!m.find()) {
            throw new GeneralSecurityException("no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----) in the file;"
                                               + " convert one with: openssl pkcs8 -topk8 -nocrypt");
        }
        final PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1)));
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("an RSA, EC or EdDSA key could not be read from the file", last);
    }

    /** Whether {@code key} signs what {@code publicKey} verifies. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) throws GeneralSecurityException {
        final String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA: the key names its signature
        };
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())
            && !(key.getAlgorithm().startsWith("Ed") && publicKey.getAlgorithm().startsWith("Ed"))) {
            return false;
        }
        final Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(PROBE);
        final byte[] signature = signer.sign();
        final Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(publicKey);
        verifier.update(PROBE);
        return verifier.verify(signature);
    }
}
