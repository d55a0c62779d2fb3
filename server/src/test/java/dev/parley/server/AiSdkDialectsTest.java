package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** POST /api/ai/chat (the AI SDK's text-delta stream) and POST /api/v1/ui-chat (its UI message stream v1), with API keys on. */
class AiSdkDialectsTest {

    private static final String KEY = "alice-secret-key-1";
    /** Makes the tiny model think, then answer: both channels exercised, the text known. */
    private static final String GRAMMAR = "root ::= \\\"<think>\\\\nhmm\\\\n</think>\\\\n\\\\nAnswer.\\\"";
    /** bob is not used here: he makes the keys those of ConversationByIdTest and MessageThreadsTest, whose server this shares. */
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "4096"}, keys = "alice:" + KEY + "\nbob:bob-secret-key-22\n")
    private static TestServer server;

    private static String base() {
        return "http://127.0.0.1:" + server.server.port();
    }

    @Test
    void thePublishedClientWorksUnchanged() {
        NodeClients.run("ai-chat-client.mjs", base(), Duration.ofSeconds(90), List.of("PARLEY_KEY=" + KEY));
    }

    @Test
    void theAiPackageReadsTheUiMessageStream() {
        NodeClients.run("ui-chat.mjs", base(), Duration.ofSeconds(90), List.of("PARLEY_KEY=" + KEY));
    }

    @Test
    void aiChatStreamsTextDeltaReasoningAndFinishParts() throws Exception {
        HttpResponse<String> r = server.post("/api/ai/chat", "{\"id\": \"conv-7\", \"boxAddress\": \"http://box\", \"assistantId\": \"a1\","
                + " \"vector\": [0.1, 0.2], \"grammar\": \"" + GRAMMAR + "\", \"max_tokens\": 40, \"temperature\": 0,"
                + " \"messages\": [{\"id\": \"m1\", \"role\": \"user\", \"content\": \"Think.\", \"createdAt\": \"2025-01-01T00:00:00Z\"}]}",
                "x-api-key", KEY);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""), "without the client asking");
        assertEquals("conv-7", r.headers().firstValue("x-session-id").orElse(null));
        List<JsonNode> parts = SseEvents.parse(r.body()).data();
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        for (JsonNode p : parts.subList(0, parts.size() - 1)) {
            assertEquals(Set.of("type", "textDelta"), fields(p), p.toString());
            (p.get("type").asText().equals("reasoning") ? reasoning : text).append(p.get("textDelta").asText());
            assertTrue(Set.of("reasoning", "text-delta").contains(p.get("type").asText()), p.toString());
        }
        assertEquals("\nhmm\n", reasoning.toString());
        assertEquals("\n\nAnswer.", text.toString());
        JsonNode finish = parts.getLast();
        assertEquals(Set.of("type", "finishReason", "usage"), fields(finish));
        assertEquals("finish", finish.get("type").asText());
        assertEquals("stop", finish.get("finishReason").asText());
        assertEquals(Set.of("promptTokens", "completionTokens", "totalTokens"), fields(finish.get("usage")));
        JsonNode u = finish.get("usage");
        assertEquals(u.get("promptTokens").asInt() + u.get("completionTokens").asInt(), u.get("totalTokens").asInt());
        assertTrue(u.get("completionTokens").asInt() > 0);
    }

    @Test
    void aiChatBadInputIsAnErrorPart() throws Exception {
        HttpResponse<String> missing = server.post("/api/ai/chat", "{\"id\": \"c\", \"boxAddress\": \"x\"}", "x-api-key", KEY);
        assertEquals(400, missing.statusCode());
        JsonNode e = Json.MAPPER.readTree(missing.body());
        assertEquals(Set.of("type", "error"), fields(e));
        assertEquals("error", e.get("type").asText());
        assertTrue(e.get("error").asText().contains("messages"), e.toString());
        HttpResponse<String> role = server.post("/api/ai/chat", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "x-api-key", KEY);
        assertEquals(400, role.statusCode());
        assertTrue(Json.MAPPER.readTree(role.body()).get("error").asText().contains("wizard"));
        HttpResponse<String> tokens = server.post("/api/ai/chat", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}",
                "x-api-key", KEY);
        assertEquals(400, tokens.statusCode());
        assertTrue(Json.MAPPER.readTree(tokens.body()).get("error").asText().contains("max_tokens"));
    }

    @Test
    void uiChatSendsThePartsInOrderWithBlockIds() throws Exception {
        HttpResponse<String> r = server.post("/api/v1/ui-chat", "{\"id\": \"chat-9\", \"trigger\": \"submit-message\", \"grammar\": \"" + GRAMMAR
                + "\", \"max_tokens\": 40, \"temperature\": 0, \"messages\": [{\"id\": \"u1\", \"role\": \"user\","
                + " \"parts\": [{\"type\": \"text\", \"text\": \"Think.\"}]}]}", "x-api-key", KEY);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("v1", r.headers().firstValue("x-vercel-ai-ui-message-stream").orElse(null));
        assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
        assertEquals("chat-9", r.headers().firstValue("x-session-id").orElse(null));
        SseEvents sse = SseEvents.parse(r.body());
        assertTrue(sse.events().getLast().done(), "ends with [DONE]");
        List<String> types = new ArrayList<>();
        StringBuilder reasoning = new StringBuilder();
        StringBuilder text = new StringBuilder();
        String reasoningId = null;
        String textId = null;
        for (JsonNode p : sse.data()) {
            String type = p.get("type").asText();
            if (types.isEmpty() || !types.getLast().equals(type)) {
                types.add(type);
            }
            switch (type) {
                case "reasoning-start" -> reasoningId = p.get("id").asText();
                case "reasoning-delta" -> {
                    assertEquals(reasoningId, p.get("id").asText());
                    reasoning.append(p.get("delta").asText());
                }
                case "reasoning-end" -> assertEquals(reasoningId, p.get("id").asText());
                case "text-start" -> textId = p.get("id").asText();
                case "text-delta" -> {
                    assertEquals(textId, p.get("id").asText());
                    text.append(p.get("delta").asText());
                }
                case "text-end" -> assertEquals(textId, p.get("id").asText());
                case "start" -> assertTrue(p.get("messageId").asText().startsWith("msg_"));
                case "finish" -> {
                    assertEquals("stop", p.get("finishReason").asText());
                    assertTrue(p.get("messageMetadata").get("usage").get("outputTokens").asInt() > 0);
                }
                default -> assertEquals(Set.of("type"), fields(p), p.toString());
            }
        }
        assertEquals(List.of("start", "start-step", "reasoning-start", "reasoning-delta", "reasoning-end", "text-start", "text-delta", "text-end",
                "finish-step", "finish"), types);
        assertFalse(reasoningId.equals(textId), "each block has its own id");
        assertEquals("\nhmm\n", reasoning.toString());
        assertEquals("\n\nAnswer.", text.toString());
    }

    @Test
    void uiChatBadInputIsAnErrorPartWithErrorText() throws Exception {
        HttpResponse<String> r = server.post("/api/v1/ui-chat", "{\"id\": \"c\", \"trigger\": \"explode\", \"messages\": []}", "x-api-key", KEY);
        assertEquals(400, r.statusCode());
        JsonNode e = Json.MAPPER.readTree(r.body());
        assertEquals(Set.of("type", "errorText"), fields(e));
        assertTrue(e.get("errorText").asText().contains("trigger"), e.toString());
        HttpResponse<String> noParts = server.post("/api/v1/ui-chat", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "x-api-key", KEY);
        assertEquals(400, noParts.statusCode());
        assertTrue(Json.MAPPER.readTree(noParts.body()).get("errorText").asText().contains("parts"));
    }

    @Test
    void withoutAKeyEachAnswers401InItsOwnShape() throws Exception {
        HttpResponse<String> ai = server.post("/api/ai/chat", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(401, ai.statusCode());
        assertEquals("error", Json.MAPPER.readTree(ai.body()).get("type").asText());
        assertTrue(Json.MAPPER.readTree(ai.body()).get("error").asText().contains("API key"));
        HttpResponse<String> ui = server.post("/api/v1/ui-chat", "{\"messages\": []}", "x-api-key", "wrong-key-123");
        assertEquals(401, ui.statusCode());
        assertTrue(Json.MAPPER.readTree(ui.body()).get("errorText").asText().contains("API key"));
    }

    @Test
    void aUiChatClientThatLeavesFreesItsSlot() throws Exception {
        double before = server.cancelledRequests();
        String body = "{\"id\": \"gone\", \"max_tokens\": 3000, \"messages\": [{\"role\": \"user\", \"parts\": [{\"type\": \"text\", \"text\": \"Talk.\"}]}]}";
        HttpResponse<InputStream> r = server.http.send(HttpRequest.newBuilder(server.uri("/api/v1/ui-chat")).header("x-api-key", KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertTrue(in.readLine().startsWith("data: "));
        }
        server.awaitIdleSlots();
        assertEquals(before + 1, server.cancelledRequests(), "cancelled, not run to max_tokens");
    }

    private static Set<String> fields(JsonNode o) {
        Set<String> names = new java.util.HashSet<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
