package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The chat page's routes: HTML for browsers at /, JSON for everyone else, its files from the jar under a strict policy. */
class ChatPageTest {

    private static final String BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    // keys on: the page and its files are open (they hold no data), the APIs it calls are not
    @ServerFlags({"--slots", "1", "--api-key", "page-test-key-1"})
    private static TestServer server;

    @Test
    void aBrowserGetsThePageAndAScriptTheIndex() throws Exception {
        HttpResponse<String> page = server.get("/", "Accept", BROWSER);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("data-testid=\"thread-list\""), "the chat page");
        assertEquals("Accept", page.headers().firstValue("vary").orElse(null), "caches keep the two answers apart");

        for (String accept : List.of("*/*", "application/json")) {
            HttpResponse<String> index = server.get("/", "Accept", accept);
            assertEquals(200, index.statusCode());
            assertEquals("parley", Json.MAPPER.readTree(index.body()).get("name").asText(), accept);
            assertEquals("Accept", index.headers().firstValue("vary").orElse(null));
        }
        JsonNode index = Json.MAPPER.readTree(server.get("/").body());
        assertEquals("/ui/index.html", index.get("links").get("chat_page").asText());
        assertEquals(401, server.get("/api/v1/conversations").statusCode(), "the APIs the page calls still need the key");
    }

    @Test
    void thePageAndItsFilesCarryAStrictPolicy() throws Exception {
        HttpResponse<String> page = server.get("/", "Accept", BROWSER);
        String csp = page.headers().firstValue("content-security-policy").orElseThrow();
        List<String> directives = List.of(csp.split(";\\s*"));
        assertTrue(directives.contains("default-src 'none'"), csp);
        assertTrue(directives.contains("script-src 'self'"), "no inline script, no eval: " + csp);
        assertTrue(directives.contains("connect-src 'self'"), csp);
        assertTrue(directives.contains("frame-ancestors 'none'"), csp);
        assertEquals("nosniff", page.headers().firstValue("x-content-type-options").orElse(null));
        assertFalse(Pattern.compile("<script>|<script [^>]*>[^<]|\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(page.body()).find(),
                "the page holds no inline script or handler");

        // every script and style the page names is served from here, with the same policy
        Matcher refs = Pattern.compile("(?:src|href)=\"(/ui/[^\"]+)\"").matcher(page.body());
        int count = 0;
        while (refs.find()) {
            HttpResponse<String> asset = server.get(refs.group(1));
            assertEquals(200, asset.statusCode(), refs.group(1));
            String type = asset.headers().firstValue("content-type").orElse("");
            assertTrue(type.startsWith(refs.group(1).endsWith(".css") ? "text/css" : "text/javascript"), refs.group(1) + ": " + type);
            assertEquals(csp, asset.headers().firstValue("content-security-policy").orElse(null));
            assertFalse(asset.body().isEmpty());
            count++;
        }
        assertEquals(7, count, "app.css, two highlight styles, three libraries, app.js: " + page.body());
    }

    @Test
    void theVendoredLibrariesComeFromTheirWebJarsAndTheModulesLoad() throws Exception {
        assertTrue(server.get("/ui/vendor/marked.js").body().contains("marked"));
        assertTrue(server.get("/ui/vendor/purify.js").body().contains("DOMPurify"));
        assertTrue(server.get("/ui/vendor/highlight.js").body().contains("hljs"));
        // app.js imports the other modules: each one it names is there
        Matcher imports = Pattern.compile("from \"\\./([a-z-]+\\.js)\"").matcher(server.get("/ui/app.js").body());
        int count = 0;
        while (imports.find()) {
            assertEquals(200, server.get("/ui/" + imports.group(1)).statusCode(), imports.group(1));
            count++;
        }
        assertTrue(count >= 5, "app.js imports its modules");
    }

    @Test
    void anUnknownFileIsA404AndNoPathReachesTheClasspath() throws Exception {
        for (String path : List.of("/ui/nothing.js", "/ui/vendor/nothing.js", "/ui/..%2fversion.properties", "/ui/vendor/..%2f..%2fapp.js",
                "/ui/ParleyServer.class")) {
            HttpResponse<String> r = server.get(path);
            assertEquals(404, r.statusCode(), path);
            JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
            assertEquals(404, e.get("code").asInt(), path);
        }
        HttpResponse<String> post = server.post("/ui/app.js", "{}");
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("allow").orElse(null));
        assertArrayEquals(server.get("/ui/index.html").body().getBytes(), server.get("/", "Accept", BROWSER).body().getBytes());
    }
}
