package io.switchboard.gateway.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The web pages and their assets, read once from the classpath ({@code web/} in the jar) into memory at startup and
 * keyed by the exact request path that serves them. Serving is a map lookup on the raw path, so no request can name a
 * file outside this set: there is nothing to traverse.
 *
 * <p>Pages are {@code /} (customer widget), {@code /agent} (agent console) and {@code /dashboard}; every file under
 * {@code web/assets/} is {@code /assets/<name>}. In the pages, {@code {{WS_PATH}}} becomes the configured WebSocket
 * path. Immutable and thread-safe once built.
 */
final class WebResources {

    /** One servable file: its bytes, how to label them, and a strong validator. */
    record Resource(byte[] body, String contentType, String etag) {}

    private static final String ROOT = "web/";
    private static final String ASSETS = ROOT + "assets/";
    private static final Map<String, String> PAGES = Map.of(
            "/", ROOT + "index.html",
            "/agent", ROOT + "agent.html",
            "/dashboard", ROOT + "dashboard.html");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json; charset=utf-8");

    private final Map<String, Resource> byPath;

    private WebResources(Map<String, Resource> byPath) {
        this.byPath = byPath;
    }

    /** The resource served at {@code path} (query already stripped), or {@code null}. */
    Resource get(String path) {
        return byPath.get(path);
    }

    /** The request paths served, for logs and tests. */
    java.util.Set<String> paths() {
        return byPath.keySet();
    }

    /**
     * Reads the pages and assets from {@code loader}. A missing page is left out (the gateway still runs); an asset
     * with an unknown file extension is skipped rather than served with a guessed type.
     *
     * @throws UncheckedIOException if the classpath cannot be read
     */
    static WebResources load(ClassLoader loader, String wsPath) {
        final Map<String, Resource> map = new HashMap<>();
        final String wsPathAttr = escapeHtml(wsPath);
        for (Map.Entry<String, String> page : PAGES.entrySet()) {
            final byte[] bytes = read(loader, page.getValue());
            if (bytes != null) {
                final String html = new String(bytes, StandardCharsets.UTF_8).replace("{{WS_PATH}}", wsPathAttr);
                map.put(page.getKey(), resource(html.getBytes(StandardCharsets.UTF_8), TYPES.get("html")));
            }
        }
        for (String name : assetNames(loader)) {
            final String type = TYPES.get(extension(name));
            final byte[] bytes = type == null ? null : read(loader, ASSETS + name);
            if (bytes != null) {
                map.put("/assets/" + name, resource(bytes, type));
            }
        }
        return new WebResources(Map.copyOf(map));
    }

    private static Resource resource(byte[] body, String type) {
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return new Resource(body, type, '"' + HexFormat.of().formatHex(digest, 0, 12) + '"');
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** Every file under {@code web/assets/}, as a path relative to it, from a jar or a directory. */
    private static List<String> assetNames(ClassLoader loader) {
        final URL url = loader.getResource(ASSETS);
        if (url == null) {
            return List.of();
        }
        final List<String> names = new ArrayList<>();
        try {
            final URLConnection conn = url.openConnection();
            if (conn instanceof JarURLConnection) {
                conn.setUseCaches(false);
                try (JarFile jar = ((JarURLConnection) conn).getJarFile()) {
                    for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                        final JarEntry entry = e.nextElement();
                        if (!entry.isDirectory() && entry.getName().startsWith(ASSETS)) {
                            names.add(entry.getName().substring(ASSETS.length()));
                        }
                    }
                }
            } else {
                final Path dir = Path.of(url.toURI());
                try (Stream<Path> files = Files.walk(dir)) {
                    files.filter(Files::isRegularFile)
                         .forEach(f -> names.add(dir.relativize(f).toString().replace('\\', '/')));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + url, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot list " + url, e);
        }
        Collections.sort(names);
        return names;
    }

    private static byte[] read(ClassLoader loader, String name) {
        try (InputStream in = loader.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    private static String extension(String name) {
        final int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String escapeHtml(String s) {
        return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
