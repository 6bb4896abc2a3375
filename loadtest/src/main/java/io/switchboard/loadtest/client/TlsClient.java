package io.switchboard.loadtest.client;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The TLS client context of a {@code wss://} run: TLS 1.3 and 1.2, OpenSSL where netty-tcnative loads (Netty's
 * default provider choice), trusting {@code --tls-ca}, the JDK's authorities, or, with {@code --tls-insecure},
 * anything. One context serves every connection of the process.
 */
public final class TlsClient {

    private TlsClient() {}

    /**
     * @param ca       PEM certificates to trust, or {@code null} for the JDK's trusted authorities
     * @param insecure trust anything and skip the host name check
     */
    public static SslContext context(Path ca, boolean insecure) {
        try {
            final SslContextBuilder b = SslContextBuilder.forClient().protocols("TLSv1.3", "TLSv1.2");
            if (insecure) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else if (ca != null) {
                b.trustManager(ca.toFile());
            }
            return b.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new UncheckedIOException("--tls-ca " + ca + ": " + e.getMessage(),
                                           e instanceof IOException io ? io : new IOException(e));
        }
    }
}
