package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A conversation longer than the context: 413 under the default policy, and under
 * {@code context_overflow: "truncate"} a reply from the newest turns, the dropped count in usage.
 */
class ContextOverflowTest {

    private static final String TURN = "word ".repeat(120).strip();
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer("--slots", "1", "--ctx-size", "512");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A history of {@code turns} user/assistant pairs of about 120 tokens each, then a short question. */
    private static String history(int turns) {
        StringBuilder b = new StringBuilder("[{\"role\": \"system\", \"content\": \"Be brief.\"}");
        for (int i = 0; i < turns; i++) {
            b.append(", {\"role\": \"user\", \"content\": \"").append(TURN).append("\"}, {\"role\": \"assistant\", \"content\": \"")
                    .append(TURN).append("\"}");
        }
        return b.append(", {\"role\": \"user\", \"content\": \"And now?\"}]").toString();
    }

    @Test
    void statelessConversationsAreRefusedOrTruncated() throws Exception {
        String messages = history(4);
        HttpResponse<String> refused = server.post("/api/v1/conversation", "{\"messages\": " + messages + ", \"max_tokens\": 8, \"stream\": false}");
        assertEquals(413, refused.statusCode(), refused.body());

        HttpResponse<String> openAi = server.post("/v1/chat/completions", "{\"messages\": " + messages
                + ", \"max_tokens\": 8, \"context_overflow\": \"truncate\"}");
        assertEquals(200, openAi.statusCode(), openAi.body());
        JsonNode usage = Json.MAPPER.readTree(openAi.body()).get("usage");
        int dropped = usage.get("truncated_messages").asInt();
        assertTrue(dropped >= 2 && dropped % 2 == 0, "whole user/assistant turns are dropped: " + usage);
        assertTrue(usage.get("prompt_tokens").asInt() <= 512 - 8, usage.toString());
        assertEquals(String.valueOf(dropped), openAi.headers().firstValue("x-parley-truncated-messages").orElse(null));

        HttpResponse<String> bad = server.post("/v1/chat/completions", "{\"messages\": " + messages + ", \"context_overflow\": \"drop\"}");
        assertEquals(400, bad.statusCode());
        assertEquals("context_overflow", Json.MAPPER.readTree(bad.body()).get("error").get("param").asText());
    }

    @Test
    void aThreadLongerThanTheContextKeepsWorkingWithTruncate() throws Exception {
        String id = Json.MAPPER.readTree(server.post("/api/v1/conversations", "{\"system_prompt\": \"Be brief.\"}").body()).get("id").asText();
        String path = "/api/v1/conversations/" + id + "/messages";
        HttpResponse<String> turn = null;
        for (int i = 0; i < 8; i++) {
            turn = server.post(path, "{\"prompt\": \"" + TURN + "\", \"max_tokens\": 4, \"stream\": false, \"context_overflow\": \"truncate\"}");
            assertEquals(200, turn.statusCode(), "turn " + i + ": " + turn.body());
        }
        JsonNode usage = Json.MAPPER.readTree(turn.body()).get("usage");
        assertTrue(usage.get("truncated_messages").asInt() > 0, "the oldest turns were left out of the prompt: " + usage);
        assertEquals(16, Json.MAPPER.readTree(server.get("/api/v1/conversations/" + id).body()).get("messages").size(),
                "but every turn is still stored");
        HttpResponse<String> strict = server.post(path, "{\"prompt\": \"hi\", \"max_tokens\": 4, \"stream\": false}");
        assertEquals(413, strict.statusCode(), "the default policy still refuses: " + strict.body());
    }
}
