package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A web page in the user's browser cannot drive or read a local server: Host check, JSON only, explicit CORS. */
class BrowserGuardTest {

    private static final String APP = "https://app.example.com";
    private static final String HISTORY = "/api/v1/continue_from_conversation_history";
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer("--slots", "1", "--cors-origins", APP);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static RawHttp.Response raw(String request) throws Exception {
        try (RawHttp http = new RawHttp(server.server.port())) {
            return http.send(request).read();
        }
    }

    @Test
    void aRebindingHostIsRefusedAndTheBoundOnesAreServed() throws Exception {
        RawHttp.Response evil = raw("GET /api/v1/conversations HTTP/1.1\r\nHost: attacker.example:" + server.server.port() + "\r\n\r\n");
        assertEquals(403, evil.status());
        assertEquals(403, evil.json().get("Error").get("error").get("code").asInt());
        for (String host : new String[] {"127.0.0.1", "localhost", "[::1]"}) {
            RawHttp.Response ok = raw("GET /api/v1/conversations HTTP/1.1\r\nHost: " + host + ":" + server.server.port() + "\r\n\r\n");
            assertEquals(200, ok.status(), host);
        }
    }

    @Test
    void aBodyThatIsNotDeclaredJsonIs415InTheRoutesShape() throws Exception {
        String body = "{\"max_tokens\": 1, \"conversation_history\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
        HttpResponse<String> plain = server.http.send(java.net.http.HttpRequest.newBuilder(server.uri(HISTORY))
                .header("Content-Type", "text/plain").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(415, plain.statusCode());
        assertEquals(415, Json.MAPPER.readTree(plain.body()).get("Error").get("error").get("code").asInt());
        HttpResponse<String> none = server.http.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/v1/conversations"))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, none.statusCode(), "a simple cross-origin POST without a body cannot create threads either");
        HttpResponse<String> form = server.http.send(java.net.http.HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(415, form.statusCode());
        assertEquals("invalid_request_error", Json.MAPPER.readTree(form.body()).get("error").get("type").asText());
        HttpResponse<String> json = server.http.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/v1/conversations"))
                .header("Content-Type", "application/json; charset=utf-8").POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, json.statusCode(), json.body());
    }

    @Test
    void onlyListedOriginsMayCallAndTheirPreflightsAreAnswered() throws Exception {
        HttpResponse<String> foreign = server.get("/api/v1/conversations", "Origin", "https://evil.example");
        assertEquals(403, foreign.statusCode());
        assertTrue(foreign.headers().firstValue("access-control-allow-origin").isEmpty());

        HttpResponse<String> listed = server.get("/api/v1/conversations", "Origin", APP);
        assertEquals(200, listed.statusCode());
        assertEquals(APP, listed.headers().firstValue("access-control-allow-origin").orElse(null));
        assertTrue(listed.headers().firstValue("access-control-expose-headers").orElse("").contains("X-Request-Id"));

        HttpResponse<String> preflight = server.send("OPTIONS", HISTORY, null, "Origin", APP, "Access-Control-Request-Method", "POST",
                "Access-Control-Request-Headers", "content-type, authorization");
        assertEquals(204, preflight.statusCode());
        assertEquals(APP, preflight.headers().firstValue("access-control-allow-origin").orElse(null));
        assertTrue(preflight.headers().firstValue("access-control-allow-methods").orElse("").contains("POST"));
        assertTrue(preflight.headers().firstValue("access-control-allow-headers").orElse("").toLowerCase().contains("content-type"));

        HttpResponse<String> foreignPreflight = server.send("OPTIONS", HISTORY, null, "Origin", "https://evil.example",
                "Access-Control-Request-Method", "POST");
        assertEquals(403, foreignPreflight.statusCode());
        JsonNode e = Json.MAPPER.readTree(foreignPreflight.body()).get("Error");
        assertNull(foreignPreflight.headers().firstValue("access-control-allow-origin").orElse(null));
        assertEquals(403, e.get("error").get("code").asInt());
    }
}
