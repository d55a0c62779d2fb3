package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * Careless and hostile input gets a bounded, one-line, correctly shaped answer: quoted values are cut
 * and escaped, lone surrogates and empty stop strings are refused by field, thread fields are bounded,
 * hopeless prompts are refused before any work, every answer carries X-Request-Id and every refusal
 * is counted.
 */
class RequestHygieneTest {

    private static final String HISTORY = "/api/v1/continue_from_conversation_history";
    @ServerFlags({"--slots", "1", "--ctx-size", "512", "--body-memory-mb", "1024"})
    private static TestServer server;

    private static JsonNode parleyError(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body()).get("Error");
    }

    @Test
    void echoedFieldNamesAndValuesAreEscapedAndCut() throws Exception {
        HttpResponse<String> forged = server.post(HISTORY, "{\"a\\r\\n2026-01-01 INFO forged line\": 1}");
        assertEquals(400, forged.statusCode());
        JsonNode e = parleyError(forged);
        String description = e.get("error").get("description").asText();
        assertFalse(description.contains("\n") || description.contains("\r"), description);
        assertTrue(description.contains("\\u000d\\u000a"), description);

        String huge = "x".repeat(9 * 1024 * 1024);
        HttpResponse<String> big = server.post(HISTORY, "{\"conversation_history\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": \"" + huge + "\"}");
        assertEquals(400, big.statusCode());
        assertTrue(big.body().length() < 2000, "the 9 MB value is not echoed: " + big.body().length() + " bytes");
        assertTrue(parleyError(big).get("error").get("description").asText().contains("9437184 characters"));
    }

    @Test
    void loneSurrogatesAreRefusedNamingTheField() throws Exception {
        HttpResponse<String> content = server.post(HISTORY, "{\"conversation_history\": [{\"role\": \"user\", \"content\": \"a\\ud800b\"}]}");
        assertEquals(400, content.statusCode());
        assertTrue(parleyError(content).get("error").get("description").asText().contains("conversation_history[0].content"), content.body());
        HttpResponse<String> title = server.post("/api/v1/conversations", "{\"title\": \"\\udc00\"}");
        assertEquals(400, title.statusCode());
        assertTrue(parleyError(title).get("error").get("description").asText().contains("'title'"), title.body());
        HttpResponse<String> openAi = server.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"\\ud83d\"}]}");
        assertEquals(400, openAi.statusCode());
        assertEquals("messages[0].content", Json.MAPPER.readTree(openAi.body()).get("error").get("param").asText());
        HttpResponse<String> pair = server.post("/api/v1/conversations", "{\"title\": \"\\ud83d\\ude00\"}");
        assertEquals(201, pair.statusCode(), "a proper surrogate pair (an emoji) is fine");
    }

    @Test
    void openAiErrorsKeepOpenAisShape() throws Exception {
        HttpResponse<String> stop = server.post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1, \"stop\": \"\"}");
        assertEquals(400, stop.statusCode());
        assertTrue(stop.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode err = Json.MAPPER.readTree(stop.body()).get("error");
        assertEquals("invalid_request_error", err.get("type").asText());
        assertEquals("stop", err.get("param").asText());

        HttpResponse<String> unknown = server.get("/v1/embeddings/whatever");
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        assertNotNull(Json.MAPPER.readTree(unknown.body()).get("error").get("message").asText());
        HttpResponse<String> unknownParley = server.get("/api/v1/nothing");
        assertEquals(404, parleyError(unknownParley).get("error").get("code").asInt());
        HttpResponse<String> unknownOllama = server.get("/api/v2/nothing");
        assertEquals(404, unknownOllama.statusCode());
        assertTrue(Json.MAPPER.readTree(unknownOllama.body()).get("error").isTextual(), "the rest of /api/ is Ollama's: {\"error\": \"...\"}");
    }

    @Test
    void everyResponseCarriesTheRequestId() throws Exception {
        for (String path : new String[] {"/health", "/health/ready", "/v1/models", "/api/v1/slots", "/metrics", "/v1/nope", "/api/v1/conversations"}) {
            HttpResponse<String> r = server.get(path, "X-Request-Id", "probe-42");
            assertEquals("probe-42", r.headers().firstValue("x-request-id").orElse(null), path);
        }
        assertFalse(server.get("/health").headers().firstValue("x-request-id").orElse("").isBlank(), "a generated id when none is sent");
    }

    @Test
    void threadFieldsAreBounded() throws Exception {
        assertEquals(400, server.post("/api/v1/conversations", "{\"title\": \"" + "t".repeat(600) + "\"}").statusCode());
        assertEquals(400, server.post("/api/v1/conversations", "{\"system_prompt\": \"" + "s".repeat(70_000) + "\"}").statusCode());
        HttpResponse<String> meta = server.post("/api/v1/conversations", "{\"metadata\": {\"k\": \"" + "m".repeat(20_000) + "\"}}");
        assertEquals(400, meta.statusCode());
        assertTrue(parleyError(meta).get("error").get("description").asText().contains("metadata"));
        HttpResponse<String> ok = server.post("/api/v1/conversations", "{\"title\": \"" + "t".repeat(500) + "\", \"metadata\": {\"k\": 1}}");
        assertEquals(201, ok.statusCode());
        String id = Json.MAPPER.readTree(ok.body()).get("id").asText();
        assertEquals(400, server.send("PATCH", "/api/v1/conversations/" + id, "{\"title\": \"" + "t".repeat(600) + "\"}").statusCode());
    }

    @Test
    void aConversationThatCannotFitIsRefusedBeforeRendering() throws Exception {
        StringBuilder b = new StringBuilder("{\"max_tokens\": 1, \"conversation_history\": [");
        for (int i = 0; i < 10_000; i++) {
            b.append(i == 0 ? "" : ",").append("{\"role\": \"user\", \"content\": \"hi\"}");
        }
        HttpResponse<String> r = server.post(HISTORY, b.append("]}").toString());
        assertEquals(413, r.statusCode());
        assertTrue(parleyError(r).get("error").get("description").asText().contains("10000 messages"), r.body());
    }

    @Test
    void refusalsBeforeTheEngineAreCountedByOutcome() throws Exception {
        double invalid = outcome("error_invalid_request");
        double tooLarge = outcome("error_body_too_large");
        double forbidden = outcome("error_forbidden");
        double prompt = outcome("error_prompt_too_long");
        assertEquals(400, server.post(HISTORY, "{not json").statusCode());
        assertEquals(400, server.post("/v1/completions", "{\"prompt\": \"\"}").statusCode());
        assertEquals(413, server.post(HISTORY, "{\"max_tokens\": 1, \"conversation_history\": [{\"role\": \"user\", \"content\": \""
                + "x".repeat(11 * 1024 * 1024) + "\"}]}").statusCode());
        assertEquals(403, server.http.send(java.net.http.HttpRequest.newBuilder(server.uri(HISTORY)).header("Content-Type", "text/plain")
                .header("Origin", "https://pages.example").POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(413, server.post(HISTORY, "{\"max_tokens\": 1, \"conversation_history\": [{\"role\": \"user\", \"content\": \""
                + "word ".repeat(2000) + "\"}]}").statusCode());
        assertEquals(2, outcome("error_invalid_request") - invalid);
        assertEquals(1, outcome("error_body_too_large") - tooLarge);
        assertEquals(1, outcome("error_forbidden") - forbidden);
        assertEquals(1, outcome("error_prompt_too_long") - prompt, "refused by the engine's submit, counted once");
    }

    private static double outcome(String label) throws Exception {
        double sum = 0;
        for (String line : server.get("/metrics").body().lines().toList()) {
            if (line.startsWith("parley_requests_total{") && line.contains("outcome=\"" + label + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
