package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tool calls and structured outputs on /v1/chat/completions, with the tiny random model forced by
 * tool_choice and schemas: calls come back parsed (whole and streamed), never as markup in content.
 */
class OpenAiToolsTest {

    static final String WEATHER = """
            {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
             "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12},
               "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"], "additionalProperties": false}}}""";
    static final String TIME = """
            {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}""";

    @ServerFlags({"--slots", "2", "--ctx-size", "4096"})
    private static TestServer server;

    static String request(String toolChoice, boolean stream, String extra) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}], \"max_tokens\": 120, \"seed\": 3,"
                + " \"tools\": [" + WEATHER + ", " + TIME + "], \"tool_choice\": " + toolChoice + ", \"stream\": " + stream + extra + "}";
    }

    static void assertArgumentsValid(JsonNode function) throws Exception {
        JsonNode params = Json.MAPPER.readTree(WEATHER).get("function").get("parameters");
        JsonNode args = Json.MAPPER.readTree(function.get("arguments").asText());
        if (function.get("name").asText().equals("get_time")) {
            assertTrue(args.isObject(), args.toString());
            return;
        }
        var errors = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(params).validate(args);
        assertTrue(errors.isEmpty(), args + " -> " + errors);
    }

    @Test
    void requiredToolChoiceGivesToolCalls() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", request("\"required\"", false, ""));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = Json.MAPPER.readTree(r.body()).get("choices").get(0);
        assertEquals("tool_calls", choice.get("finish_reason").asText(), r.body());
        JsonNode message = choice.get("message");
        assertTrue(message.get("content").isNull(), "no markup in content: " + message);
        JsonNode calls = message.get("tool_calls");
        assertFalse(calls.isEmpty());
        for (JsonNode call : calls) {
            assertTrue(call.get("id").asText().startsWith("call_"), call.toString());
            assertEquals("function", call.get("type").asText());
            assertArgumentsValid(call.get("function"));
        }
    }

    @Test
    void aNamedFunctionStreamsAsOpenAiDoes() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions",
                request("{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}", true, ", \"parallel_tool_calls\": false"));
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> deltas = new ArrayList<>();
        String finish = null;
        StringBuilder content = new StringBuilder();
        for (SseEvents.Event e : SseEvents.parse(r.body()).events()) {
            if (e.done()) {
                continue;
            }
            JsonNode choice = e.data().get("choices").get(0);
            choice.get("delta").path("tool_calls").forEach(deltas::add);
            content.append(choice.get("delta").path("content").asText(""));
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertEquals("tool_calls", finish);
        assertTrue(content.toString().isBlank(), "no markup in content: " + content);
        JsonNode first = deltas.getFirst();
        assertEquals(0, first.get("index").asInt());
        assertTrue(first.get("id").asText().startsWith("call_"));
        assertEquals("function", first.get("type").asText());
        assertEquals("get_weather", first.get("function").get("name").asText());
        StringBuilder args = new StringBuilder();
        for (JsonNode d : deltas) {
            assertEquals(0, d.get("index").asInt(), "one call: parallel_tool_calls is false");
            args.append(d.get("function").path("arguments").asText(""));
        }
        assertTrue(deltas.size() > 2, "arguments come in fragments: " + deltas);
        assertArgumentsValid(Json.object().put("name", "get_weather").put("arguments", args.toString()));
    }

    @Test
    void toolChoiceNoneAndAutoAnswerInText() throws Exception {
        for (String choice : List.of("\"none\"", "\"auto\"")) {
            HttpResponse<String> r = server.post("/v1/chat/completions", request(choice, false, "").replace("120", "8"));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode c = Json.MAPPER.readTree(r.body()).get("choices").get(0);
            assertEquals("length", c.get("finish_reason").asText());
            assertTrue(c.get("message").get("content").isTextual());
        }
    }

    @Test
    void badToolChoicesAreOpenAiErrors() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put(request("\"bogus\"", false, ""), "tool_choice");
        cases.put(request("{\"type\": \"function\", \"function\": {\"name\": \"nope\"}}", false, ""), "tool_choice");
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tool_choice\": \"required\"}", "tool_choice");
        cases.put(request("\"required\"", false, ", \"grammar\": \"root ::= \\\"x\\\"\""), "tool_choice");
        cases.put(request("\"required\"", false, "").replace("\"maxLength\": 12", "\"uniqueItems\": true"), "tools");
        for (var c : cases.entrySet()) {
            HttpResponse<String> r = server.post("/v1/chat/completions", c.getKey());
            assertEquals(400, r.statusCode(), c.getKey() + " -> " + r.body());
            JsonNode err = Json.MAPPER.readTree(r.body()).get("error");
            assertEquals("invalid_request_error", err.get("type").asText());
            assertEquals(c.getValue(), err.get("param").asText(), r.body());
        }
    }

    @Test
    void historyWithCallsAndToolResultsIsAccepted() throws Exception {
        String body = """
                {"messages": [
                  {"role": "developer", "content": "Use tools."},
                  {"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": null, "refusal": null, "annotations": [], "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\", \\"unit\\": \\"c\\"}"}}]},
                  {"role": "tool", "tool_call_id": "call_1", "content": "18 C"}],
                 "tools": [%s], "max_tokens": 3, "store": false, "metadata": {"a": "b"}, "user": "u", "service_tier": "auto"}
                """.formatted(WEATHER);
        HttpResponse<String> r = server.post("/v1/chat/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        // The template saw the call with its arguments as an object, and the tool's result.
        HttpResponse<String> t = server.post("/apply-template", ((com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(body))
                .retain("messages", "tools").toString());
        assertEquals(200, t.statusCode(), t.body());
        String prompt = Json.MAPPER.readTree(t.body()).get("prompt").asText();
        assertTrue(prompt.contains("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}"), prompt);
        assertTrue(prompt.contains("18 C") && prompt.contains("Use tools."), prompt);
    }

    @Test
    void jsonSchemaResponseFormatIsEnforced() throws Exception {
        String schema = """
                {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}, "age": {"type": "integer", "minimum": 0, "maximum": 150}},
                 "required": ["name", "age"], "additionalProperties": false}""";
        for (String strict : List.of("true", "false")) {
            String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"A person\"}], \"max_tokens\": 80, \"seed\": 5,"
                    + " \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"person\", \"strict\": " + strict
                    + ", \"schema\": " + schema + "}}}";
            HttpResponse<String> r = server.post("/v1/chat/completions", body);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode choice = Json.MAPPER.readTree(r.body()).get("choices").get(0);
            assertEquals("stop", choice.get("finish_reason").asText(), r.body());
            JsonNode value = Json.MAPPER.readTree(choice.get("message").get("content").asText());
            var errors = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(Json.MAPPER.readTree(schema)).validate(value);
            assertTrue(errors.isEmpty(), value + " -> " + errors);
        }
        String refused = "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"json_schema\","
                + " \"json_schema\": {\"name\": \"n\", \"schema\": {\"type\": \"array\", \"uniqueItems\": true}}}}";
        HttpResponse<String> r = server.post("/v1/chat/completions", refused);
        assertEquals(400, r.statusCode(), r.body());
        JsonNode err = Json.MAPPER.readTree(r.body()).get("error");
        assertTrue(err.get("message").asText().contains("uniqueItems"), r.body());
        assertEquals("response_format.json_schema.schema", err.get("param").asText());
    }

    @Test
    void logprobsAndLogitBias() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"max_tokens\": 4, \"temperature\": 0, \"logprobs\": true, \"top_logprobs\": 3}");
        JsonNode choice = Json.MAPPER.readTree(r.body()).get("choices").get(0);
        JsonNode content = choice.get("logprobs").get("content");
        assertEquals(4, content.size(), r.body());
        for (JsonNode t : content) {
            assertTrue(t.get("logprob").asDouble() <= 0);
            assertEquals(3, t.get("top_logprobs").size());
            // greedy: the chosen token is the most likely one
            assertEquals(t.get("top_logprobs").get(0).get("logprob").asDouble(), t.get("logprob").asDouble(), 1e-5);
        }

        // A bias of 100 on one token makes greedy decoding pick it every time.
        JsonNode hello = Json.MAPPER.readTree(server.post("/tokenize", "{\"content\": \" hello\", \"with_pieces\": true}").body()).get("tokens").get(0);
        r = server.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 3,"
                + " \"temperature\": 0, \"logit_bias\": {\"" + hello.get("id").asInt() + "\": 100}}");
        assertEquals(hello.get("piece").asText().repeat(3), Json.MAPPER.readTree(r.body()).get("choices").get(0).get("message").get("content").asText());

        r = server.post("/v1/completions", "{\"prompt\": \"Once\", \"max_tokens\": 3, \"temperature\": 0, \"logprobs\": 2}");
        JsonNode legacy = Json.MAPPER.readTree(r.body()).get("choices").get(0).get("logprobs");
        assertEquals(3, legacy.get("token_logprobs").size(), r.body());
        assertEquals(2, legacy.get("top_logprobs").get(0).size());

        for (String extra : List.of("\"top_logprobs\": 2", "\"logit_bias\": {\"99999999\": 5}", "\"logit_bias\": {\"1\": 500}", "\"n\": 2")) {
            HttpResponse<String> bad = server.post("/v1/chat/completions",
                    "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], " + extra + "}");
            assertEquals(400, bad.statusCode(), extra + " -> " + bad.body());
            assertEquals("invalid_request_error", Json.MAPPER.readTree(bad.body()).get("error").get("type").asText());
        }
    }

    @Test
    void completionsTakeAnArrayPrompt() throws Exception {
        JsonNode tokens = Json.MAPPER.readTree(server.post("/tokenize", "{\"content\": \"Once upon a time\"}").body()).get("tokens");
        for (String prompt : List.of("[\"Once upon a time\"]", tokens.toString(), "[" + tokens + "]")) {
            HttpResponse<String> r = server.post("/v1/completions", "{\"prompt\": " + prompt + ", \"max_tokens\": 3, \"temperature\": 0}");
            assertEquals(200, r.statusCode(), prompt + " -> " + r.body());
            assertEquals(3, Json.MAPPER.readTree(r.body()).get("usage").get("completion_tokens").asInt());
        }
        HttpResponse<String> r = server.post("/v1/completions", "{\"prompt\": [\"a\", \"b\"], \"max_tokens\": 3}");
        assertEquals(400, r.statusCode());
        assertEquals("prompt", Json.MAPPER.readTree(r.body()).get("error").get("param").asText());
    }

    @Test
    void tokenizeDetokenizeAndModelFacts() throws Exception {
        JsonNode t = Json.MAPPER.readTree(server.post("/tokenize", "{\"content\": \"Hello world\", \"with_pieces\": true}").body());
        StringBuilder pieces = new StringBuilder();
        List<Integer> ids = new ArrayList<>();
        for (JsonNode p : t.get("tokens")) {
            pieces.append(p.get("piece").asText());
            ids.add(p.get("id").asInt());
        }
        assertEquals("Hello world", pieces.toString());
        JsonNode d = Json.MAPPER.readTree(server.post("/detokenize", "{\"tokens\": " + ids + "}").body());
        assertEquals("Hello world", d.get("content").asText());
        HttpResponse<String> bad = server.post("/detokenize", "{\"tokens\": [99999999]}");
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(Json.MAPPER.readTree(bad.body()).get("error").get("message").asText().contains("vocabulary"));

        String id = server.server.engine().model().name();
        JsonNode m = Json.MAPPER.readTree(server.get("/v1/models/" + id).body());
        assertEquals(id, m.get("id").asText());
        assertEquals(server.server.engine().slotCapacity(), m.get("max_model_len").asInt());
        assertEquals(server.server.engine().model().vocabularySize(), m.get("meta").get("n_vocab").asInt());
        HttpResponse<String> missing = server.get("/v1/models/gpt-9");
        assertEquals(404, missing.statusCode());
        assertEquals("model_not_found", Json.MAPPER.readTree(missing.body()).get("error").get("code").asText());
    }

    @Test
    void unknownPathsAndMethodsAnswerInOpenAisShape() throws Exception {
        HttpResponse<String> r = server.post("/v1/nowhere", "{}");
        assertEquals(404, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        assertEquals("not_found_error", Json.MAPPER.readTree(r.body()).get("error").get("type").asText());
        HttpResponse<String> m = server.get("/v1/chat/completions");
        assertEquals(405, m.statusCode());
        assertEquals("POST", m.headers().firstValue("allow").orElse(""));
        assertEquals("invalid_request_error", Json.MAPPER.readTree(m.body()).get("error").get("type").asText());
    }
}
