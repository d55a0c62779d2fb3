package dev.parley.server.ui;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The chat page's files, read from the classpath once at startup (a missing one fails the start, not a
 * user's page load): Parley's own under {@code dev/parley/server/ui/}, and the vendored libraries from
 * their WebJars, found by the version each jar records in its Maven properties (so upgrading a WebJar
 * is a POM change only). Only the names listed here are ever served: no path from a request reaches
 * the classpath.
 */
final class Assets {

    /** Parley's own files of the page. */
    static final List<String> OWN = List.of("index.html", "app.css", "app.js", "api.js", "markdown.js", "threads.js",
            "conversation.js", "composer.js", "settings.js", "keys.js");

    private final Map<String, Asset> own = new LinkedHashMap<>();
    private final Map<String, Asset> vendor = new LinkedHashMap<>();

    Assets() {
        for (String name : OWN) {
            own.put(name, new Asset(read("/dev/parley/server/ui/" + name), contentType(name)));
        }
        vendor("marked.js", "org.webjars.npm", "marked", "lib/marked.umd.js");
        vendor("purify.js", "org.webjars.npm", "dompurify", "dist/purify.min.js");
        vendor("highlight.js", "org.webjars", "highlightjs", "highlight.min.js");
        vendor("highlight-light.css", "org.webjars", "highlightjs", "styles/github.min.css");
        vendor("highlight-dark.css", "org.webjars", "highlightjs", "styles/github-dark.min.css");
    }

    Asset own(String name) {
        return own.get(name);
    }

    Asset vendor(String name) {
        return vendor.get(name);
    }

    /** The vendored libraries and their versions, for the page's "about" line and the tests. */
    Map<String, String> vendorVersions() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("marked", version("org.webjars.npm", "marked"));
        v.put("dompurify", version("org.webjars.npm", "dompurify"));
        v.put("highlightjs", version("org.webjars", "highlightjs"));
        return v;
    }

    private void vendor(String name, String group, String artifact, String file) {
        String path = "/META-INF/resources/webjars/" + artifact + "/" + version(group, artifact) + "/" + file;
        vendor.put(name, new Asset(read(path), contentType(name)));
    }

    private static String version(String group, String artifact) {
        String props = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        Properties p = new Properties();
        try (InputStream in = Assets.class.getResourceAsStream(props)) {
            if (in == null) {
                throw new IllegalStateException("the WebJar " + group + ":" + artifact + " is not on the classpath (" + props + ")");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    private static byte[] read(String path) {
        try (InputStream in = Assets.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("the chat page's file " + path + " is not on the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        throw new IllegalArgumentException("no content type for " + name);
    }
}
