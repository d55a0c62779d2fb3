package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A web page in the user's browser cannot drive or read a local server: Host check, explicit origins; other clients send any type. */
class BrowserGuardTest {

    private static final String APP = "https://app.example.com";
    private static final String HISTORY = "/api/v1/continue_from_conversation_history";
    @ServerFlags({"--slots", "1", "--allowed-origins", APP})
    private static TestServer server;

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

    private static HttpResponse<String> postTyped(String path, String contentType, String body, String... headers) throws Exception {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(server.uri(path)).POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return server.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withoutAnOriginAJsonBodyIsTakenWhateverItsContentType() throws Exception {
        String history = "{\"max_tokens\": 1, \"conversation_history\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
        HttpResponse<String> plain = postTyped(HISTORY, "text/plain", history);
        assertEquals(200, plain.statusCode(), plain.body());
        List<JsonNode> lines = TestServer.ndjson(plain.body());
        assertEquals("Done", lines.getLast().get("Response").get("response").get("GeneratedToken").get("generated_token_result").asText());

        // curl -d sends application/x-www-form-urlencoded
        HttpResponse<String> ollama = postTyped("/api/chat", "application/x-www-form-urlencoded",
                "{\"model\": \"parley\", \"stream\": false, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"options\": {\"num_predict\": 1}}");
        assertEquals(200, ollama.statusCode(), ollama.body());
        assertTrue(Json.MAPPER.readTree(ollama.body()).get("done").asBoolean());
        HttpResponse<String> openAi = postTyped("/v1/chat/completions", "application/x-www-form-urlencoded",
                "{\"max_tokens\": 1, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(200, openAi.statusCode(), openAi.body());
        assertEquals("chat.completion", Json.MAPPER.readTree(openAi.body()).get("object").asText());
        HttpResponse<String> untyped = postTyped("/api/v1/conversations", null, "{}");
        assertEquals(201, untyped.statusCode(), untyped.body());

        // a body that is not JSON is still refused, as JSON, whatever it claimed to be
        HttpResponse<String> form = postTyped("/v1/chat/completions", "application/x-www-form-urlencoded", "max_tokens=1&messages=hi");
        assertEquals(400, form.statusCode());
        assertEquals("invalid_request_error", Json.MAPPER.readTree(form.body()).get("error").get("type").asText());
    }

    @Test
    void aListedOriginMaySendAnyTypeToo() throws Exception {
        HttpResponse<String> r = postTyped("/api/v1/conversations", "text/plain", "{}", "Origin", APP);
        assertEquals(201, r.statusCode(), r.body());
        assertEquals(APP, r.headers().firstValue("access-control-allow-origin").orElse(null));
    }

    @Test
    void aForeignOriginIsRefusedBeforeItsBodyIsReadWhateverItsType() throws Exception {
        // the cross-origin "simple" request a page may send without a preflight (text/plain, forms) stays refused
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json"}) {
            HttpResponse<String> r = postTyped(HISTORY, type, "{\"max_tokens\": 1, \"conversation_history\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                    "Origin", "https://evil.example");
            assertEquals(403, r.statusCode(), type);
            assertEquals(403, Json.MAPPER.readTree(r.body()).get("Error").get("error").get("code").asInt());
        }
        HttpResponse<String> sandboxed = postTyped("/api/v1/conversations", "text/plain", "{}", "Origin", "null");
        assertEquals(403, sandboxed.statusCode(), "a sandboxed page or a file: URL sends Origin: null");
        // headers announce a body that never comes: the answer does not wait for it
        try (RawHttp http = new RawHttp(server.server.port())) {
            RawHttp.Response r = http.send("POST " + HISTORY + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.server.port()
                    + "\r\nOrigin: https://evil.example\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n").read();
            assertEquals(403, r.status());
            assertEquals(403, r.json().get("Error").get("error").get("code").asInt());
        }
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
