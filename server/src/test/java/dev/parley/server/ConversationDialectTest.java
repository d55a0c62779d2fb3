package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** POST /api/v1/conversation: the stateless conversation API with named events, with API keys on. */
class ConversationDialectTest {

    private static final String PATH = "/api/v1/conversation";
    private static final String KEY = "carol-secret-key-3";
    private static final String GRAMMAR = "root ::= \\\"<think>\\\\nhmm\\\\n</think>\\\\n\\\\nAnswer.\\\"";
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "4096", "--max-tokens-limit", "1000"}, keys = "carol:" + KEY + "\n")
    private static TestServer server;

    private static HttpResponse<String> post(String body) throws Exception {
        return server.post(PATH, body, "Authorization", "Bearer " + KEY, "X-Request-Id", "conv-req-1");
    }

    private static Set<String> fields(JsonNode o) {
        Set<String> names = new HashSet<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aWholeAnswerHasExactlyTextThinkingFinishReasonAndUsage() throws Exception {
        HttpResponse<String> r = post("{\"messages\": [{\"role\": \"user\", \"content\": \"Think.\"}], \"grammar\": \"" + GRAMMAR
                + "\", \"max_tokens\": 40, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        assertTrue(r.headers().firstValue("x-session-id").isEmpty(), "stateless, no key sent: no conversation key");
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertEquals(Set.of("text", "thinking", "finish_reason", "usage"), fields(body));
        assertEquals("\n\nAnswer.", body.get("text").asText());
        assertEquals("\nhmm\n", body.get("thinking").asText());
        assertEquals("stop", body.get("finish_reason").asText());
        JsonNode u = body.get("usage");
        assertEquals(Set.of("prompt_tokens", "cached_prompt_tokens", "completion_tokens", "reasoning_tokens"), fields(u));
        assertTrue(u.get("completion_tokens").asInt() > u.get("reasoning_tokens").asInt() && u.get("reasoning_tokens").asInt() > 0, u.toString());
    }

    @Test
    void streamingSendsNamedEvents() throws Exception {
        HttpResponse<String> r = post("{\"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"Think.\"}], \"grammar\": \"" + GRAMMAR
                + "\", \"max_tokens\": 40, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
        StringBuilder content = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        List<SseEvents.Event> events = SseEvents.parse(r.body()).events();
        for (SseEvents.Event e : events.subList(0, events.size() - 1)) {
            assertEquals(Set.of("text"), fields(e.data()));
            switch (e.name()) {
                case "content" -> content.append(e.data().get("text").asText());
                case "thinking" -> thinking.append(e.data().get("text").asText());
                default -> throw new AssertionError("unexpected event " + e);
            }
        }
        assertEquals("\n\nAnswer.", content.toString());
        assertEquals("\nhmm\n", thinking.toString());
        SseEvents.Event done = events.getLast();
        assertEquals("done", done.name());
        assertEquals(Set.of("finish_reason", "usage", "message_id"), fields(done.data()));
        assertEquals("stop", done.data().get("finish_reason").asText());
        assertTrue(done.data().get("message_id").isNull(), "stateless: nothing stored");
    }

    @Test
    void theSystemPromptComesFirstAndCountsInThePrompt() throws Exception {
        String messages = "\"messages\": [{\"role\": \"user\", \"content\": \"Hello.\"}], \"max_tokens\": 1";
        int plain = Json.MAPPER.readTree(post("{" + messages + "}").body()).get("usage").get("prompt_tokens").asInt();
        int withSystem = Json.MAPPER.readTree(post("{\"system_prompt\": \"You are a very terse assistant.\", " + messages + "}").body())
                .get("usage").get("prompt_tokens").asInt();
        assertTrue(withSystem > plain + 5, plain + " vs " + withSystem);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no messages        | {"max_tokens": 4}                                                               | messages
            unknown field      | {"messages": [{"role": "user", "content": "hi"}], "colour": "red"}              | colour
            stream not a bool  | {"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}              | stream
            bad role           | {"messages": [{"role": "robot", "content": "hi"}]}                              | role
            system not a string| {"messages": [{"role": "user", "content": "hi"}], "system_prompt": 3}           | system_prompt
            too many tokens    | {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1001}           | max_tokens
            """)
    void badInputIsA400InParleysShape(String name, String json, String field) throws Exception {
        HttpResponse<String> r = post(json);
        assertEquals(400, r.statusCode(), r.body());
        JsonNode err = Json.MAPPER.readTree(r.body()).get("Error");
        assertEquals("conv-req-1", err.get("request_id").asText());
        assertEquals(400, err.get("error").get("code").asInt());
        assertTrue(err.get("error").get("description").asText().contains(field), err.toString());
    }

    @Test
    void withoutAKeyIt401s() throws Exception {
        HttpResponse<String> r = server.post(PATH, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(401, r.statusCode());
        assertEquals(401, Json.MAPPER.readTree(r.body()).get("Error").get("error").get("code").asInt());
    }
}
