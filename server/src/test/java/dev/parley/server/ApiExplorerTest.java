package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.RouteTable;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** /openapi.json describes real routes, every one of Parley's own; /docs renders it from the jar under a strict CSP. */
class ApiExplorerTest {

    private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "patch");
    /** Where Parley's own routes live; the other dialects follow their own published specifications. */
    private static final List<String> OWN = List.of("/api/v1/conversations", "/api/v1/conversation", "/api/v1/files", "/api/v1/continue_",
            "/api/v1/slots", "/api/v1/gpus", "/api/v1/usage", "/health", "/metrics", "/openapi.json");
    @ServerFlags({"--slots", "1"})
    private static TestServer server;

    private static JsonNode spec() throws Exception {
        HttpResponse<String> r = server.get("/openapi.json");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        return Json.MAPPER.readTree(r.body());
    }

    /** The spec's operations as "METHOD /path/{param}". */
    private static Set<String> documented(JsonNode spec) {
        Set<String> out = new TreeSet<>();
        spec.get("paths").properties().forEach(p -> p.getValue().properties().forEach(op -> {
            if (OPERATIONS.contains(op.getKey())) {
                out.add(op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey());
            }
        }));
        return out;
    }

    @Test
    void everyDocumentedOperationIsARouteAndEveryOwnRouteIsDocumented() throws Exception {
        JsonNode spec = spec();
        assertTrue(spec.get("openapi").asText().startsWith("3.1"), "OpenAPI 3.1");
        assertFalse(spec.get("info").get("version").asText().equals("VERSION"), "the served version is Parley's");
        Set<String> documented = documented(spec);
        assertTrue(documented.contains("POST /api/v1/conversations/{id}/fork"), documented.toString());
        for (String op : documented) {
            String method = op.substring(0, op.indexOf(' '));
            String path = op.substring(op.indexOf(' ') + 1).replaceAll("\\{[^}/]+}", "x1");
            assertTrue(server.server.routes().methodsOn(path).contains(method), op + " is a route of the server");
        }
        List<String> missing = new ArrayList<>();
        for (RouteTable.Route route : server.server.routes().all()) {
            if (route.method() == null || !OPERATIONS.contains(route.method().text().toLowerCase(Locale.ROOT))) {
                continue;
            }
            if (OWN.stream().anyMatch(route.pattern()::startsWith) && !documented.contains(route.toString())) {
                missing.add(route.toString());
            }
        }
        assertEquals(List.of(), missing, "every route of Parley's own API is documented");
        // every $ref points at a component the document has
        for (JsonNode ref : spec.findValues("$ref")) {
            String[] parts = ref.asText().substring(2).split("/");
            assertFalse(spec.path(parts[0]).path(parts[1]).path(parts[2]).isMissingNode(), ref + " resolves");
        }
    }

    @Test
    void docsRendersFromTheJarUnderAStrictPolicy() throws Exception {
        HttpResponse<String> page = server.get("/docs");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        String csp = page.headers().firstValue("content-security-policy").orElse("");
        List<String> directives = List.of(csp.split(";\\s*"));
        assertTrue(directives.contains("default-src 'none'"), csp);
        assertTrue(directives.contains("script-src 'self'"), "scripts from the server only, none inline, no eval: " + csp);
        assertFalse(csp.contains("unsafe"), csp);
        // every script and stylesheet the page loads is served here, from the jar
        Matcher m = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(page.body());
        int assets = 0;
        while (m.find()) {
            String url = m.group(1);
            assertTrue(url.startsWith("/docs/"), "loaded from this server: " + url);
            HttpResponse<String> asset = server.get(url);
            assertEquals(200, asset.statusCode(), url);
            assertEquals("nosniff", asset.headers().firstValue("x-content-type-options").orElse(""));
            assets++;
        }
        assertEquals(4, assets, "icon, stylesheet, Swagger UI's bundle and its initializer");
        assertTrue(server.get("/docs/swagger-ui-bundle.js").body().length() > 500_000, "the real bundle");
        HttpResponse<String> other = server.get("/docs/index.html");
        assertEquals(404, other.statusCode(), "only the page's own assets are served");
        assertEquals(404, Json.MAPPER.readTree(other.body()).get("Error").get("error").get("code").asInt());
    }

    /** Debian's chromium (the launcher installs it for the page tests), or null. */
    private static Path chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    @Test
    void aRealBrowserRendersEveryPathUnderThePolicy() throws Exception {
        Path chromium = chromium();
        if (chromium == null) {
            System.err.println("SKIPPING the /docs browser check: no chromium on PATH");
            Assumptions.abort("no chromium on PATH");
        }
        Path profile = Files.createTempDirectory("parley-docs-browser");
        Path dom = profile.resolve("dom.html");
        Path log = profile.resolve("chromium.log");
        Process p = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--user-data-dir=" + profile.resolve("profile"), "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
                "--dump-dom", server.uri("/docs").toString())
                .redirectOutput(dom.toFile()).redirectError(log.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 90 s");
        }
        // Swagger UI marks each operation with its path: the rendered set is the document's
        Set<String> rendered = new TreeSet<>();
        Matcher m = Pattern.compile("class=\"opblock-summary-path\" data-path=\"([^\"]+)\"").matcher(Files.readString(dom));
        while (m.find()) {
            rendered.add(m.group(1));
        }
        Set<String> paths = new TreeSet<>();
        spec().get("paths").properties().forEach(e -> paths.add(e.getKey()));
        assertEquals(paths, rendered, "the page rendered every path of /openapi.json");
        // Chromium logs each Content-Security-Policy violation as a console message
        List<String> refused = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .filter(l -> l.contains("Content Security Policy")).toList();
        assertEquals(List.of(), refused, "nothing the page needs is refused by its policy");
    }
}
