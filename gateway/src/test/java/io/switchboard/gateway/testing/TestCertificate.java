package io.switchboard.gateway.testing;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for 127.0.0.1 and {@code localhost}, made by the JDK's own {@code keytool} (no
 * BouncyCastle, no JDK-internal classes: Netty's {@code SelfSignedCertificate} needs one or the other on Java 17) and
 * written as the PEM files the gateway reads: the certificate and an unencrypted PKCS#8 key.
 *
 * @param cert        the PEM certificate file
 * @param key         the PEM private key file
 * @param certificate the certificate itself, for clients to trust
 */
public record TestCertificate(Path cert, Path key, X509Certificate certificate) {

    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final long KEYTOOL_SECONDS = 30;

    /**
     * Generates an EC P-256 key and a certificate with subject {@code CN=commonName} into {@code dir}
     * ({@code commonName.pem}, {@code commonName.key}).
     */
    public static TestCertificate generate(Path dir, String commonName) throws IOException, InterruptedException {
        final Path store = dir.resolve(commonName + ".p12");
        Files.deleteIfExists(store);
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        final Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "sb", "-keyalg", "EC",
                                             "-groupname", "secp256r1", "-validity", "2",
                                             "-dname", "CN=" + commonName, "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                                             "-storetype", "PKCS12", "-keystore", store.toString(),
                                             "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        final String output;
        try (InputStream out = p.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(KEYTOOL_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool failed: " + output);
        }
        try {
            final KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, PASSWORD);
            }
            final X509Certificate certificate = (X509Certificate) ks.getCertificate("sb");
            final PrivateKey key = (PrivateKey) ks.getKey("sb", PASSWORD);
            final Path certFile = dir.resolve(commonName + ".pem");
            final Path keyFile = dir.resolve(commonName + ".key");
            Files.writeString(certFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
            Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
            return new TestCertificate(certFile, keyFile, certificate);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the keystore keytool wrote: " + e, e);
        } finally {
            Files.deleteIfExists(store);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
               + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
               + "\n-----END " + type + "-----\n";
    }

    /**
     * Puts this certificate and key in place of the files at {@code certFile} and {@code keyFile}, each by an atomic
     * rename, as a certificate manager rotating files would (the key first: a reader that sees the new certificate
     * finds its key already there).
     */
    public void installAs(Path certFile, Path keyFile) throws IOException {
        final Path tmpKey = keyFile.resolveSibling(keyFile.getFileName() + ".tmp");
        Files.copy(key, tmpKey, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmpKey, keyFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        final Path tmpCert = certFile.resolveSibling(certFile.getFileName() + ".tmp");
        Files.copy(cert, tmpCert, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmpCert, certFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A Netty client context trusting exactly {@code trusted} (hostname verification stays on). */
    public static SslContext clientContext(TestCertificate... trusted) {
        try {
            return SslContextBuilder.forClient()
                    .trustManager(List.of(trusted).stream().map(TestCertificate::certificate)
                                          .toArray(X509Certificate[]::new))
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A JDK client context trusting exactly this certificate (for {@code java.net.http}). */
    public SSLContext jdkContext() {
        try {
            final KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("sb", certificate);
            final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            final SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new AssertionError(e);
        }
    }
}
