package io.switchboard.gateway.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;

/**
 * Whether a Docker engine answers, asked quietly: first a bare {@code GET /_ping} on {@code DOCKER_HOST}, then on
 * {@code /var/run/docker.sock} (where Testcontainers looks too), so an absent engine costs no Testcontainers ERROR
 * block and no stack trace; only when one answers is Testcontainers asked (its own discovery logging is off in
 * {@code logback-test.xml}). The answer is computed once per JVM.
 */
public final class DockerCheck {

    private static final Duration PING_TIMEOUT = Duration.ofSeconds(3);
    private static final String DEFAULT_SOCKET = "unix:///var/run/docker.sock";
    private static String unavailable;
    private static boolean checked;

    private DockerCheck() {}

    /** {@code null} if a Docker engine is usable by Testcontainers, else why not, in one line. */
    public static synchronized String whyUnavailable() {
        if (!checked) {
            unavailable = check();
            checked = true;
        }
        return unavailable;
    }

    private static String check() {
        // Where Testcontainers looks too: DOCKER_HOST, then the default socket.
        final String dockerHost = System.getenv("DOCKER_HOST");
        final List<String> tried = new ArrayList<>();
        String found = null;
        for (String where : new String[] {dockerHost, DEFAULT_SOCKET}) {
            if (where == null || where.isBlank() || found != null) {
                continue;
            }
            final String ping = ping(where);
            if (ping == null) {
                found = where;
            } else {
                tried.add(where + " (" + ping + ")");
            }
        }
        if (found == null) {
            return "no Docker engine answers at " + String.join(" or ", tried);
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable()
                   ? null : "Testcontainers found no usable Docker environment (the engine at " + found + " answers)";
        } catch (RuntimeException e) {
            return "Testcontainers could not use the Docker engine at " + found + " (" + e + ")";
        }
    }

    /** {@code null} if the engine answered {@code /_ping} with 200, else what went wrong. Bounded by a timeout. */
    private static String ping(String dockerHost) {
        final CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
            try (SocketChannel channel = open(URI.create(dockerHost))) {
                channel.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"
                                                      .getBytes(StandardCharsets.US_ASCII)));
                final ByteBuffer buffer = ByteBuffer.allocate(256);
                channel.read(buffer);
                final String head = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
                return head.startsWith("HTTP/1.") && head.contains(" 200 ")
                       ? null : "unexpected answer to /_ping: " + head.lines().findFirst().orElse("nothing");
            } catch (IOException | RuntimeException e) {
                return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
        });
        try {
            return answer.get(PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return "no answer to /_ping within " + PING_TIMEOUT.toSeconds() + " s";
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause().toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static SocketChannel open(URI uri) throws IOException {
        if ("unix".equals(uri.getScheme())) {
            final Path socket = Path.of(uri.getPath());
            if (!Files.exists(socket)) {
                throw new IOException(socket + " does not exist");
            }
            return SocketChannel.open(UnixDomainSocketAddress.of(socket));
        }
        if ("tcp".equals(uri.getScheme())) {
            return SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
        }
        throw new IOException("unsupported DOCKER_HOST scheme " + uri.getScheme());
    }
}
