package io.switchboard.gateway.auth;

import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The verification keys of a key file (a PEM public key or a JWKS), parsed once and swapped atomically when the
 * file changes. A daemon thread ({@code sb-auth-keys}) checks the file's modification time and size every
 * {@code checkEvery} and re-reads it only when they moved, so no event loop ever touches the file. A file that no
 * longer parses keeps the previous keys (logged as a warning): a botched key rotation must not lock everyone out.
 *
 * <p>Thread-safe: {@link #current()} is a volatile read.
 */
final class KeyFileWatcher implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(KeyFileWatcher.class);

    /** Turns the file's text into keys; throws if it holds none. */
    @FunctionalInterface
    interface Parser {
        JWKSet parse(String text) throws Exception;
    }

    private final Path file;
    private final Parser parser;
    private final ScheduledExecutorService timer;
    private final Runnable onReload;
    private volatile JWKSet keys;
    private FileTime lastModified;
    private long lastSize = -1;

    /**
     * Loads the file now and then watches it.
     *
     * @param onReload called (on the watcher thread) after each successful reload; for tests and logs
     * @throws IllegalArgumentException if the file cannot be read or parsed now
     */
    KeyFileWatcher(Path file, Parser parser, Duration checkEvery, Runnable onReload) {
        this.file = file;
        this.parser = parser;
        this.onReload = onReload;
        try {
            load();
        } catch (Exception e) {
            throw new IllegalArgumentException("key file " + file + ": " + e.getMessage(), e);
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "sb-auth-keys");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::checkQuietly, checkEvery.toMillis(), checkEvery.toMillis(),
                                     TimeUnit.MILLISECONDS);
    }

    /** The keys in force. */
    JWKSet current() {
        return keys;
    }

    /** Re-reads the file if its modification time or size changed. Runs on the watcher thread (or a test's). */
    synchronized boolean checkNow() throws Exception {
        final BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        if (attrs.lastModifiedTime().equals(lastModified) && attrs.size() == lastSize) {
            return false;
        }
        load();
        logger.info("Reloaded {} verification key(s) from {}", keys.getKeys().size(), file);
        onReload.run();
        return true;
    }

    private void checkQuietly() {
        try {
            checkNow();
        } catch (Exception e) {
            logger.warn("Key file {} could not be reloaded, keeping the previous keys: {}", file, e.toString());
        }
    }

    private synchronized void load() throws Exception {
        final BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        final JWKSet parsed = parser.parse(Files.readString(file, StandardCharsets.UTF_8));
        if (parsed.getKeys().isEmpty()) {
            throw new IOException("no keys in the file");
        }
        keys = parsed;
        lastModified = attrs.lastModifiedTime();
        lastSize = attrs.size();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
