package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * A conversation longer than the context: a stateless one gets 413 under the default policy, and under
 * {@code context_overflow: "truncate"} a reply from the newest turns, the dropped count in usage; a saved
 * thread truncates by default on every route that continues one, unless the request asks for the error.
 */
class ContextOverflowTest {

    private static final String TURN = "word ".repeat(120).strip();
    @ServerFlags(value = {"--slots", "1", "--ctx-size", "512"}, isolated = true) // summarizeUnder, watchPrompts
    private static TestServer server;

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
    void aStatelessRequestMaySummarizeItsOldestTurnsForThisAnswerOnly() throws Exception {
        String summary = "Earlier the user and the assistant traded the word word.";
        server.server.exchange().summarizeUnder("root ::= \"" + summary + "\"");
        java.util.List<String> systems = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.server.exchange().watchPrompts((turn, prompt) -> {
            if (prompt instanceof dev.parley.runtime.engine.Prompt.Chat chat) {
                systems.add(String.valueOf(chat.messages().getFirst().get("content")));
            }
        });
        try {
            HttpResponse<String> r = server.post("/v1/chat/completions", "{\"messages\": " + history(4)
                    + ", \"max_tokens\": 8, \"context_overflow\": \"summarize\"}");
            assertEquals(200, r.statusCode(), r.body());
            int covered = Integer.parseInt(r.headers().firstValue("x-parley-summarized-messages").orElse("0"));
            assertTrue(covered >= 2 && covered % 2 == 0, "whole turns summarised: " + r.headers());
            assertEquals("Be brief.\n\nSummary of the earlier conversation (its messages are left out):\n" + summary, systems.getLast(),
                    "the summary follows the system message, under the documented header");
            assertTrue(Json.MAPPER.readTree(r.body()).get("usage").get("prompt_tokens").asInt() <= 512 - 8, r.body());
        } finally {
            server.server.exchange().summarizeUnder(null);
            server.server.exchange().watchPrompts((turn, prompt) -> { });
        }
    }

    @Test
    void aThreadLongerThanTheContextKeepsWorkingByDefault() throws Exception {
        String id = Json.MAPPER.readTree(server.post("/api/v1/conversations", "{\"system_prompt\": \"Be brief.\"}").body()).get("id").asText();
        String path = "/api/v1/conversations/" + id + "/messages";
        HttpResponse<String> turn = null;
        for (int i = 0; i < 8; i++) {
            turn = server.post(path, "{\"prompt\": \"" + TURN + "\", \"max_tokens\": 4, \"stream\": false}");
            assertEquals(200, turn.statusCode(), "turn " + i + ": the server owns the history, so it truncates: " + turn.body());
        }
        JsonNode usage = Json.MAPPER.readTree(turn.body()).get("usage");
        int dropped = usage.get("truncated_messages").asInt();
        assertTrue(dropped > 0, "the oldest turns were left out of the prompt: " + usage);
        assertEquals(String.valueOf(dropped), turn.headers().firstValue("x-parley-truncated-messages").orElse(null));
        assertEquals(16, Json.MAPPER.readTree(server.get("/api/v1/conversations/" + id).body()).get("messages").size(),
                "but every turn is still stored");

        HttpResponse<String> truncated = server.post(path, "{\"prompt\": \"hi\", \"max_tokens\": 4, \"stream\": false, "
                + "\"context_overflow\": \"truncate\"}");
        assertEquals(200, truncated.statusCode(), truncated.body());
        HttpResponse<String> strict = server.post(path, "{\"prompt\": \"hi\", \"max_tokens\": 4, \"stream\": false, "
                + "\"context_overflow\": \"error\"}");
        assertEquals(413, strict.statusCode(), "asked for explicitly, the error policy still refuses: " + strict.body());
        HttpResponse<String> streamed = server.post(path, "{\"prompt\": \"hi\", \"max_tokens\": 4}");
        assertEquals(200, streamed.statusCode(), "the thread's SSE route too: " + streamed.body());
        assertTrue(streamed.body().contains("event: done"), streamed.body());
        assertTrue(streamed.headers().firstValue("x-parley-truncated-messages").isPresent(),
                "the streamed answer says what was cut in its header: " + streamed.headers());
    }

    @Test
    void everyRouteThatContinuesASavedThreadTruncatesByDefault() throws Exception {
        HttpResponse<String> byId = null;
        for (int i = 0; i < 8; i++) {
            byId = server.post("/api/conversation/a-long-one", "{\"prompt\": \"" + TURN + "\", \"max_tokens\": 4}");
            assertEquals(200, byId.statusCode(), "/api/conversation/{id}, turn " + i + ": " + byId.body());
        }
        assertTrue(Json.MAPPER.readTree(byId.body()).get("usage").get("truncated_messages").asInt() > 0, byId.body());
        assertEquals(413, server.post("/api/conversation/a-long-one", "{\"prompt\": \"hi\", \"max_tokens\": 4, "
                + "\"context_overflow\": \"error\"}").statusCode());

        String thread = Json.MAPPER.readTree(server.post("/conversation/new", "{\"title\": \"long\", \"save\": true}").body())
                .get("data").get("id").asText();
        HttpResponse<String> machine = null;
        for (int i = 0; i < 8; i++) {
            machine = server.post("/conversation/" + thread, "{\"messages\": [{\"message\": \"" + TURN + "\", \"messagetype\": \"text\", "
                    + "\"owner\": \"user\"}], \"max_tokens\": 4}");
            assertEquals(200, machine.statusCode(), "/conversation/{id}, turn " + i + ": " + machine.body());
        }
        assertTrue(Json.MAPPER.readTree(machine.body()).get("data").get("usage").get("truncated_messages").asInt() > 0, machine.body());

        JsonNode response = Json.MAPPER.readTree(server.post("/v1/responses", "{\"input\": \"" + TURN + "\", \"max_output_tokens\": 4}").body());
        HttpResponse<String> next = null;
        for (int i = 0; i < 7; i++) {
            next = server.post("/v1/responses", "{\"previous_response_id\": \"" + response.get("id").asText() + "\", \"input\": \""
                    + TURN + "\", \"max_output_tokens\": 4}");
            assertEquals(200, next.statusCode(), "previous_response_id, turn " + i + ": " + next.body());
            response = Json.MAPPER.readTree(next.body());
        }
        assertTrue(Integer.parseInt(next.headers().firstValue("x-parley-truncated-messages").orElse("0")) > 0, next.headers().toString());
        assertEquals("auto", response.get("truncation").asText(), "the stored conversation was truncated, and says so");
        HttpResponse<String> disabled = server.post("/v1/responses", "{\"previous_response_id\": \"" + response.get("id").asText()
                + "\", \"input\": \"" + TURN + "\", \"max_output_tokens\": 4, \"truncation\": \"disabled\"}");
        assertEquals(413, disabled.statusCode(), "OpenAI's truncation: disabled refuses: " + disabled.body());
    }
}
