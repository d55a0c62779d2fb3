package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.RouteTable;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** What a new user meets: an index at /, 404s and 405s in each API's own shape, and no 500 for any route or method. */
class FrontDoorTest {

    private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW");
    private static final List<String> UNKNOWN = List.of("/", "/foo", "/props", "/completion", "/v1", "/v1/", "/v1/nothing",
            "/v1/models/x/y", "/api", "/api/", "/api/foo", "/api/v2/nothing", "/api/v1/nothing", "/api/v1/conversations/x/y/z",
            "/conversationx", "/health/x", "/metrics/x", "/%2e%2e/etc/passwd", "/a%20b");
    @ServerFlags({"--slots", "1"})
    private static TestServer server;

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void theIndexNamesTheServerItsModelAndItsRoutes() throws Exception {
        HttpResponse<String> r = server.get("/");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode index = json(r);
        assertEquals("parley", index.get("name").asText());
        String version = index.get("version").asText();
        assertFalse(version.isBlank() || version.contains("${") || version.equals("unknown"), version);
        assertEquals(json(server.get("/v1/models")).get("data").get(0).get("id").asText(), index.get("model").asText());
        assertEquals("/v1/chat/completions", index.get("links").get("openai_chat_completions").asText());
        assertEquals("/api/chat", index.get("links").get("ollama_chat").asText());
        List<String> routes = new ArrayList<>();
        index.get("routes").forEach(n -> routes.add(n.asText()));
        assertTrue(routes.containsAll(List.of("POST /v1/chat/completions", "POST /api/chat", "GET /api/v1/conversations/{id}", "GET /metrics",
                "GET /health", "GET /")), routes.toString());
        for (JsonNode link : index.get("links")) {
            assertFalse(server.server.routes().methodsOn(link.asText()).isEmpty(), link + " is a route");
        }
    }

    @Test
    void unknownPathsAre404InTheShapeOfTheApiThatOwnsThePrefix() throws Exception {
        HttpResponse<String> openAi = server.get("/v1/nothing");
        assertEquals(404, openAi.statusCode());
        assertEquals("not_found_error", json(openAi).get("error").get("type").asText());
        assertEquals("unknown_url", json(openAi).get("error").get("code").asText());

        HttpResponse<String> ollama = server.get("/api/foo");
        assertEquals(404, ollama.statusCode());
        assertTrue(json(ollama).get("error").isTextual(), "ollama-js reads {\"error\": \"...\"}: " + ollama.body());

        HttpResponse<String> parley = server.get("/api/v1/nothing");
        assertEquals(404, parley.statusCode());
        assertEquals(404, json(parley).get("Error").get("error").get("code").asInt());

        for (String path : List.of("/foo", "/props", "/completion")) {
            HttpResponse<String> plain = server.send(path.equals("/completion") ? "POST" : "GET", path, path.equals("/completion") ? "{}" : null,
                    "X-Request-Id", "probe-404");
            assertEquals(404, plain.statusCode(), path);
            assertTrue(plain.headers().firstValue("content-type").orElse("").startsWith("application/json"), path);
            JsonNode e = json(plain).get("error");
            assertEquals(404, e.get("code").asInt(), path);
            assertEquals("not_found_error", e.get("type").asText(), path);
            assertEquals("probe-404", e.get("request_id").asText(), path);
            assertTrue(e.get("message").asText().contains(path), e.toString());
        }
    }

    @Test
    void aKnownPathWithAnotherMethodIs405ListingTheMethodsItTakes() throws Exception {
        HttpResponse<String> chat = server.get("/api/chat");
        assertEquals(405, chat.statusCode());
        assertEquals("POST", chat.headers().firstValue("allow").orElse(null));
        assertTrue(json(chat).get("error").isTextual(), "Ollama's shape");

        HttpResponse<String> thread = server.send("PUT", "/api/v1/conversations/abc", "{}");
        assertEquals(405, thread.statusCode());
        assertEquals("DELETE, GET, PATCH", thread.headers().firstValue("allow").orElse(null));
        assertEquals(405, json(thread).get("Error").get("error").get("code").asInt());

        HttpResponse<String> model = server.send("DELETE", "/v1/models/some-model", null);
        assertEquals(405, model.statusCode());
        assertEquals("GET", model.headers().firstValue("allow").orElse(null));
        assertEquals("method_not_allowed", json(model).get("error").get("code").asText());

        HttpResponse<String> health = server.send("POST", "/health", "{}");
        assertEquals(405, health.statusCode());
        assertEquals("GET", health.headers().firstValue("allow").orElse(null));
        assertEquals(405, json(health).get("error").get("code").asInt());
    }

    @Test
    void everyRouteWithEveryMethodAndUnknownPathsAnswerWithout5xxOrAStackTrace() throws Exception {
        List<LogRecord> bad = new ArrayList<>();
        Handler watch = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.SEVERE.intValue() || r.getThrown() != null) {
                    synchronized (bad) {
                        bad.add(r);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(watch);
        try {
            List<String> paths = new ArrayList<>(UNKNOWN);
            for (RouteTable.Route route : server.server.routes().all()) {
                paths.add(concrete(route.pattern()));
            }
            assertTrue(paths.size() > UNKNOWN.size() + 30, "the table has every dialect's routes: " + server.server.routes().all());
            for (String path : paths) {
                SortedSet<String> allowed = server.server.routes().methodsOn(path);
                for (String method : METHODS) {
                    boolean withBody = Set.of("POST", "PUT", "PATCH").contains(method);
                    // no Content-Type: a client without an Origin may send any
                    HttpRequest request = HttpRequest.newBuilder(server.uri(path)).method(method,
                            withBody ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody()).build();
                    HttpResponse<String> r = server.http.send(request, HttpResponse.BodyHandlers.ofString());
                    String what = method + " " + path + " -> " + r.statusCode() + " " + r.body();
                    assertTrue(r.statusCode() < 500, what);
                    if (allowed.contains(method)) {
                        assertTrue(r.statusCode() != 405, what);
                    } else if (!allowed.isEmpty()) {
                        assertEquals(405, r.statusCode(), what);
                        assertEquals(String.join(", ", allowed), r.headers().firstValue("allow").orElse(null), what);
                    } else {
                        assertEquals(404, r.statusCode(), what);
                        assertNull(r.headers().firstValue("allow").orElse(null), what);
                    }
                    if (!method.equals("HEAD") && r.statusCode() >= 400) {
                        assertNotNull(json(r), what);
                    }
                }
            }
        } finally {
            root.removeHandler(watch);
        }
        synchronized (bad) {
            assertTrue(bad.isEmpty(), "log records with a stack trace or at SEVERE: "
                    + bad.stream().map(r -> r.getLevel() + " " + r.getMessage() + " " + r.getThrown()).toList());
        }
    }

    /** A path the pattern matches: {id} and {+rest} filled in. */
    private static String concrete(String pattern) {
        return pattern.replaceAll("\\{\\+[^}]*}", "a/b").replaceAll("\\{[^}]*}", "x1").replace("*", "x");
    }
}
