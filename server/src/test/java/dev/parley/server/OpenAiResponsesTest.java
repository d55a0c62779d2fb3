package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** POST /v1/responses: whole and streamed answers, reasoning and function-call items, conversations by previous_response_id. */
class OpenAiResponsesTest {

    @ServerFlags({"--slots", "2", "--ctx-size", "4096"})
    private static TestServer server;

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void wholeResponseWithReasoningAndText() throws Exception {
        String body = """
                {"input": "Think first.", "max_output_tokens": 30, "temperature": 0, "store": false,
                 "grammar": "root ::= \\"<think>\\\\nhmm\\\\n</think>\\\\n\\\\nAnswer.\\""}""";
        JsonNode r = ok(server.post("/v1/responses", body));
        assertEquals("response", r.get("object").asText());
        assertEquals("completed", r.get("status").asText());
        assertFalse(r.get("store").asBoolean());
        JsonNode output = r.get("output");
        assertEquals("reasoning", output.get(0).get("type").asText());
        assertEquals("\nhmm\n", output.get(0).get("content").get(0).get("text").asText());
        assertEquals("message", output.get(1).get("type").asText());
        assertEquals("\n\nAnswer.", output.get(1).get("content").get(0).get("text").asText());
        assertTrue(r.get("usage").get("output_tokens_details").get("reasoning_tokens").asInt() > 0);
    }

    @Test
    void streamedEventsComeInOpenAisOrder() throws Exception {
        String body = "{\"input\": [{\"role\": \"developer\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": [{\"type\": \"input_text\", \"text\": \"Hi\"}]}],"
                + " \"max_output_tokens\": 5, \"temperature\": 0, \"stream\": true}";
        HttpResponse<String> r = server.post("/v1/responses", body);
        assertEquals(200, r.statusCode(), r.body());
        List<String> types = new ArrayList<>();
        StringBuilder deltas = new StringBuilder();
        JsonNode last = null;
        int sequence = 0;
        for (SseEvents.Event e : SseEvents.parse(r.body()).events()) {
            assertEquals(e.name(), e.data().get("type").asText(), "the event name is the type");
            assertEquals(sequence++, e.data().get("sequence_number").asInt());
            types.add(e.name());
            if (e.name().equals("response.output_text.delta")) {
                deltas.append(e.data().get("delta").asText());
            }
            last = e.data();
        }
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"), types.subList(0, 4));
        assertEquals(List.of("response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"),
                types.subList(types.size() - 4, types.size()));
        assertEquals(5, last.get("response").get("usage").get("output_tokens").asInt());
        assertEquals(deltas.toString(), last.get("response").get("output").get(0).get("content").get(0).get("text").asText());
    }

    @Test
    void outputTextLogprobs() throws Exception {
        JsonNode r = ok(server.post("/v1/responses", "{\"input\": \"Hi\", \"max_output_tokens\": 4, \"temperature\": 0, \"store\": false,"
                + " \"top_logprobs\": 2, \"include\": [\"message.output_text.logprobs\"]}"));
        JsonNode logprobs = r.get("output").get(0).get("content").get(0).get("logprobs");
        assertEquals(4, logprobs.size(), r.toString());
        for (JsonNode t : logprobs) {
            assertTrue(t.get("logprob").asDouble() <= 0);
            assertEquals(2, t.get("top_logprobs").size());
        }
    }

    @Test
    void forcedFunctionCallsAreOutputItems() throws Exception {
        String body = """
                {"input": "Weather?", "max_output_tokens": 120, "seed": 2, "stream": true, "parallel_tool_calls": false,
                 "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object",
                   "properties": {"city": {"type": "string", "maxLength": 10}}, "required": ["city"]}}],
                 "tool_choice": {"type": "function", "name": "get_weather"}}""";
        HttpResponse<String> r = server.post("/v1/responses", body);
        assertEquals(200, r.statusCode(), r.body());
        java.util.Map<String, StringBuilder> args = new java.util.HashMap<>();
        int done = 0;
        JsonNode completed = null;
        for (SseEvents.Event e : SseEvents.parse(r.body()).events()) {
            String item = e.data().path("item_id").asText();
            switch (e.name()) {
                case "response.function_call_arguments.delta" -> args.computeIfAbsent(item, k -> new StringBuilder()).append(e.data().get("delta").asText());
                case "response.function_call_arguments.done" -> {
                    assertEquals(args.get(item).toString(), e.data().get("arguments").asText(), "the deltas of a call add up to its arguments");
                    done++;
                }
                case "response.completed" -> completed = e.data().get("response");
                default -> { }
            }
        }
        assertEquals(1, done, "parallel_tool_calls false: one call");
        assertEquals(1, completed.get("output").size());
        JsonNode call = completed.get("output").get(0);
        assertEquals("function_call", call.get("type").asText());
        assertEquals("get_weather", call.get("name").asText());
        assertTrue(call.get("call_id").asText().startsWith("call_"));
        assertTrue(Json.MAPPER.readTree(call.get("arguments").asText()).get("city").isTextual());

        // The call and its output go back as input items.
        String next = """
                {"input": [{"role": "user", "content": "Weather?"},
                  {"type": "function_call", "call_id": "%s", "name": "get_weather", "arguments": %s},
                  {"type": "function_call_output", "call_id": "%s", "output": "sunny"}],
                 "tools": [{"type": "function", "name": "get_weather"}], "max_output_tokens": 3}"""
                .formatted(call.get("call_id").asText(), Json.MAPPER.writeValueAsString(call.get("arguments").asText()), call.get("call_id").asText());
        assertEquals("incomplete", ok(server.post("/v1/responses", next)).get("status").asText());
    }

    @Test
    void previousResponseIdContinuesTheStoredConversation() throws Exception {
        JsonNode first = ok(server.post("/v1/responses", "{\"instructions\": \"Be brief.\", \"input\": \"Hello!\", \"max_output_tokens\": 4, \"temperature\": 0}"));
        assertTrue(first.get("store").asBoolean());
        JsonNode second = ok(server.post("/v1/responses", "{\"previous_response_id\": \"" + first.get("id").asText()
                + "\", \"instructions\": \"Be brief.\", \"input\": \"More?\", \"max_output_tokens\": 4, \"temperature\": 0}"));
        assertEquals(first.get("id").asText(), second.get("previous_response_id").asText());
        assertTrue(second.get("usage").get("input_tokens").asInt() > first.get("usage").get("input_tokens").asInt());
        assertTrue(second.get("usage").get("input_tokens_details").get("cached_tokens").asInt() > 0, second.toString());

        HttpResponse<String> stale = server.post("/v1/responses", "{\"previous_response_id\": \"" + first.get("id").asText() + "\", \"input\": \"x\"}");
        assertEquals(400, stale.statusCode(), stale.body());
        assertEquals("previous_response_id", Json.MAPPER.readTree(stale.body()).get("error").get("param").asText());
        HttpResponse<String> unknown = server.post("/v1/responses", "{\"previous_response_id\": \"resp_nope_0\", \"input\": \"x\"}");
        assertEquals(404, unknown.statusCode(), unknown.body());
    }

    @Test
    void unsupportedInputIsAnOpenAiError() throws Exception {
        for (String body : List.of("{\"input\": [{\"type\": \"item_reference\", \"id\": \"x\"}]}",
                "{\"input\": [{\"role\": \"user\", \"content\": [{\"type\": \"input_image\", \"image_url\": \"x\"}]}]}",
                "{\"input\": \"x\", \"tools\": [{\"type\": \"web_search\"}]}", "{\"input\": \"x\", \"background\": true}",
                "{\"input\": \"x\", \"text\": {\"format\": {\"type\": \"json_schema\", \"name\": \"n\", \"schema\": {\"type\": \"object\", \"minProperties\": 1}}}}")) {
            HttpResponse<String> r = server.post("/v1/responses", body);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            assertEquals("invalid_request_error", Json.MAPPER.readTree(r.body()).get("error").get("type").asText());
        }
    }
}
