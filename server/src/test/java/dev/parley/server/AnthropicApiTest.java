package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.Turn;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's Messages API on /v1/messages with API keys on (x-api-key): whole and streamed messages in
 * Anthropic's shapes and event order, forced tool calls and their results, count_tokens against the
 * usage of the same request, cache_control marks reaching the turn, and bad input refused in Anthropic's
 * error shape. The tiny random model is made exact with Parley's grammar field and forced tools.
 */
class AnthropicApiTest {

    private static final String KEY = "alice-anthropic-key";
    /** Makes the tiny model think, then answer: both channels, the text known. */
    private static final String GRAMMAR = "root ::= \\\"<think>\\\\nhmm\\\\n</think>\\\\n\\\\nAnswer.\\\"";
    static final String WEATHER = """
            {"name": "get_weather", "description": "Weather in a city", "input_schema": {"type": "object",
             "properties": {"city": {"type": "string", "maxLength": 12}, "unit": {"enum": ["c", "f"]}},
             "required": ["city", "unit"], "additionalProperties": false}}""";

    @ServerFlags(value = {"--slots", "2", "--ctx-size", "4096"}, keys = "alice:" + KEY + "\n", isolated = true) // its prompt watcher
    private static TestServer server;
    /** The one LimitsApiTest sends an oversized body to, too. */
    @ServerFlags({"--slots", "1", "--max-body-size", "2048"})
    private static TestServer small;
    private static final List<Turn> turns = new CopyOnWriteArrayList<>();
    private static final List<String> prompts = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void watchPrompts() {
        server.server.exchange().watchPrompts((turn, prompt) -> {
            turns.add(turn);
            if (prompt instanceof Prompt.Chat chat) {
                prompts.add(server.server.engine().render(chat));
            }
        });
    }

    @AfterEach
    void clear() {
        turns.clear();
        prompts.clear();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return server.post(path, body, "x-api-key", KEY, "anthropic-version", "2023-06-01");
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    private static Set<String> fields(JsonNode n) {
        Set<String> s = new java.util.TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }

    private static String thinkingRequest(boolean stream) {
        return "{\"model\": \"claude-x\", \"max_tokens\": 40, \"temperature\": 0, \"stream\": " + stream + ", \"grammar\": \"" + GRAMMAR + "\","
                + " \"thinking\": {\"type\": \"enabled\", \"budget_tokens\": 1024}, \"metadata\": {\"user_id\": \"u-1\"},"
                + " \"system\": [{\"type\": \"text\", \"text\": \"Be brief.\"}], \"messages\": [{\"role\": \"user\", \"content\": \"Think.\"}]}";
    }

    @Test
    void aWholeMessageHasAnthropicsShape() throws Exception {
        HttpResponse<String> r = post("/v1/messages", thinkingRequest(false));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("request-id").isPresent());
        JsonNode m = json(r);
        assertEquals(Set.of("id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"), fields(m));
        assertTrue(m.get("id").asText().startsWith("msg_"), m.toString());
        assertEquals("message", m.get("type").asText());
        assertEquals("assistant", m.get("role").asText());
        assertEquals(server.server.engine().model().name(), m.get("model").asText());
        assertEquals("end_turn", m.get("stop_reason").asText());
        assertTrue(m.get("stop_sequence").isNull());
        JsonNode content = m.get("content");
        assertEquals(2, content.size(), content.toString());
        assertEquals("thinking", content.get(0).get("type").asText());
        assertEquals("\nhmm\n", content.get(0).get("thinking").asText());
        assertTrue(content.get(0).get("signature").isTextual());
        assertEquals(Set.of("type", "text"), fields(content.get(1)));
        assertEquals("\n\nAnswer.", content.get(1).get("text").asText());
        JsonNode u = m.get("usage");
        assertEquals(Set.of("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"), fields(u));
        assertTrue(u.get("input_tokens").asInt() > 0 && u.get("output_tokens").asInt() > 0, u.toString());
        assertEquals(0, u.get("cache_creation_input_tokens").asInt());
        assertTrue(prompts.getLast().contains("Be brief."), "the system prompt reaches the template");
    }

    @Test
    void aStreamFollowsAnthropicsEventOrder() throws Exception {
        HttpResponse<String> r = post("/v1/messages", thinkingRequest(true));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
        List<String> order = new ArrayList<>();
        StringBuilder thinking = new StringBuilder();
        StringBuilder text = new StringBuilder();
        JsonNode delta = null;
        for (SseEvents.Event e : SseEvents.parse(r.body()).events()) {
            assertNotNull(e.name(), "every Anthropic event is named");
            assertEquals(e.name(), e.data().get("type").asText(), "data.type repeats the event's name");
            if (order.isEmpty() || !order.getLast().equals(e.name()) || !e.name().equals("content_block_delta")) {
                order.add(e.name());
            }
            JsonNode d = e.data();
            switch (e.name()) {
                case "message_start" -> {
                    JsonNode m = d.get("message");
                    assertTrue(m.get("id").asText().startsWith("msg_"));
                    assertEquals(0, m.get("content").size());
                    assertTrue(m.get("stop_reason").isNull());
                    assertTrue(m.get("usage").get("input_tokens").asInt() > 0);
                }
                case "content_block_start" -> {
                    String type = d.get("content_block").get("type").asText();
                    assertEquals(d.get("index").asInt() == 0 ? "thinking" : "text", type, d.toString());
                }
                case "content_block_delta" -> {
                    String type = d.get("delta").get("type").asText();
                    (d.get("index").asInt() == 0 ? thinking : text).append(d.get("delta").get(type.equals("thinking_delta") ? "thinking" : "text").asText());
                    assertEquals(d.get("index").asInt() == 0 ? "thinking_delta" : "text_delta", type);
                }
                case "message_delta" -> delta = d;
                default -> {
                }
            }
        }
        assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start",
                "content_block_delta", "content_block_stop", "message_delta", "message_stop"), order);
        assertEquals("\nhmm\n", thinking.toString());
        assertEquals("\n\nAnswer.", text.toString());
        assertEquals("end_turn", delta.get("delta").get("stop_reason").asText());
        assertTrue(delta.get("delta").get("stop_sequence").isNull());
        assertTrue(delta.get("usage").get("output_tokens").asInt() > 0);
    }

    @Test
    void stopSequencesAndMaxTokensSetTheStopReason() throws Exception {
        JsonNode stopped = json(post("/v1/messages", "{\"max_tokens\": 30, \"stop_sequences\": [\"STOP\", \"never\"], \"thinking\": {\"type\": \"disabled\"},"
                + " \"grammar\": \"root ::= \\\"Hello STOP more\\\"\", \"messages\": [{\"role\": \"user\", \"content\": \"Go.\"}]}"));
        assertEquals("stop_sequence", stopped.get("stop_reason").asText(), stopped.toString());
        assertEquals("STOP", stopped.get("stop_sequence").asText());
        assertEquals("Hello ", stopped.get("content").get(0).get("text").asText());

        JsonNode cut = json(post("/v1/messages", "{\"max_tokens\": 3, \"temperature\": 0, \"top_p\": 0.9, \"top_k\": 40,"
                + " \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"A long story.\"}]}]}"));
        assertEquals("max_tokens", cut.get("stop_reason").asText(), cut.toString());
        assertEquals(3, cut.get("usage").get("output_tokens").asInt());
    }

    private static String toolRequest(String choice, boolean stream) {
        return "{\"max_tokens\": 120, \"stream\": " + stream + ", \"tools\": [" + WEATHER + ", {\"name\": \"get_time\", \"input_schema\": {\"type\": \"object\", \"properties\": {}, \"additionalProperties\": false}}],"
                + " \"tool_choice\": " + choice + ", \"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}]}";
    }

    private static void assertWeatherInput(JsonNode input) throws Exception {
        JsonNode schema = Json.MAPPER.readTree(WEATHER).get("input_schema");
        var errors = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema).validate(input);
        assertTrue(errors.isEmpty(), input + " -> " + errors);
    }

    @Test
    void aForcedToolCallAndItsResult() throws Exception {
        HttpResponse<String> r = post("/v1/messages", toolRequest("{\"type\": \"tool\", \"name\": \"get_weather\", \"disable_parallel_tool_use\": true}", false));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode m = json(r);
        assertEquals("tool_use", m.get("stop_reason").asText(), m.toString());
        assertTrue(m.get("stop_sequence").isNull());
        JsonNode content = m.get("content");
        assertEquals(1, content.size(), "one call, no text: " + content);
        JsonNode call = content.get(0);
        assertEquals(Set.of("type", "id", "name", "input"), fields(call));
        assertEquals("tool_use", call.get("type").asText());
        assertTrue(call.get("id").asText().startsWith("toolu_"), call.toString());
        assertEquals("get_weather", call.get("name").asText());
        assertWeatherInput(call.get("input"));

        // The reply goes back as it came, with the tool's result.
        ObjectNode next = (ObjectNode) Json.MAPPER.readTree(toolRequest("{\"type\": \"auto\"}", false));
        next.put("max_tokens", 3);
        next.withArray("messages").addObject().put("role", "assistant").set("content", content);
        ObjectNode result = next.withArray("messages").addObject().put("role", "user");
        result.putArray("content").addObject().put("type", "tool_result").put("tool_use_id", call.get("id").asText()).put("content", "18 C");
        HttpResponse<String> followUp = post("/v1/messages", next.toString());
        assertEquals(200, followUp.statusCode(), followUp.body());
        String prompt = prompts.getLast();
        assertTrue(prompt.contains("18 C"), prompt);
        assertTrue(prompt.contains("{\"name\": \"get_weather\", \"arguments\": {"), "the call as the template writes it: " + prompt);
    }

    @Test
    void aStreamedToolCallComesAsInputJsonDeltas() throws Exception {
        HttpResponse<String> r = post("/v1/messages", toolRequest("{\"type\": \"any\", \"disable_parallel_tool_use\": true}", true));
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder json = new StringBuilder();
        JsonNode block = null;
        String stopReason = null;
        int deltas = 0;
        for (SseEvents.Event e : SseEvents.parse(r.body()).events()) {
            JsonNode d = e.data();
            switch (e.name()) {
                case "content_block_start" -> block = d.get("content_block");
                case "content_block_delta" -> {
                    assertEquals("input_json_delta", d.get("delta").get("type").asText(), d.toString());
                    json.append(d.get("delta").get("partial_json").asText());
                    deltas++;
                }
                case "message_delta" -> stopReason = d.get("delta").get("stop_reason").asText();
                default -> {
                }
            }
        }
        assertNotNull(block, r.body());
        assertEquals("tool_use", block.get("type").asText());
        assertTrue(block.get("id").asText().startsWith("toolu_"));
        assertTrue(block.get("input").isObject() && block.get("input").isEmpty());
        assertEquals("tool_use", stopReason);
        assertTrue(deltas >= 1, r.body());
        if (block.get("name").asText().equals("get_weather")) {
            assertTrue(deltas > 1, "arguments come in fragments");
            assertWeatherInput(Json.MAPPER.readTree(json.toString()));
        } else {
            assertTrue(Json.MAPPER.readTree(json.toString()).isObject(), json.toString());
        }
    }

    @Test
    void countTokensIsTheUsageOfTheSameRequest() throws Exception {
        String prompt = "\"system\": \"You count.\", \"tools\": [" + WEATHER + "], \"messages\": [{\"role\": \"user\", \"content\": \"Weather in Oslo?\"}]";
        HttpResponse<String> counted = post("/v1/messages/count_tokens", "{\"model\": \"m\", " + prompt + "}");
        assertEquals(200, counted.statusCode(), counted.body());
        JsonNode c = json(counted);
        assertEquals(Set.of("input_tokens"), fields(c));
        JsonNode u = json(post("/v1/messages", "{\"max_tokens\": 1, " + prompt + "}")).get("usage");
        assertEquals(c.get("input_tokens").asInt(), u.get("input_tokens").asInt() + u.get("cache_read_input_tokens").asInt(), u.toString());
        int withoutTools = json(post("/v1/messages/count_tokens", "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Oslo?\"}]}"))
                .get("input_tokens").asInt();
        assertTrue(withoutTools < c.get("input_tokens").asInt());

        // The same prompt again: Parley's KV reuse shows as cache_read_input_tokens.
        JsonNode again = json(post("/v1/messages", "{\"max_tokens\": 1, " + prompt + "}")).get("usage");
        assertTrue(again.get("cache_read_input_tokens").asInt() > 0, again.toString());
        assertEquals(c.get("input_tokens").asInt(), again.get("input_tokens").asInt() + again.get("cache_read_input_tokens").asInt());
    }

    @Test
    void cacheControlMarksReachTheTurnAndDocumentsTheirFiles() throws Exception {
        String file = json(server.upload("notes.txt", "text/plain", "The launch code is tulip.".getBytes(StandardCharsets.UTF_8),
                "x-api-key", KEY)).get("id").asText();
        String eph = "\"cache_control\": {\"type\": \"ephemeral\"}";
        String body = "{\"max_tokens\": 1, \"cache_control\": {\"type\": \"ephemeral\", \"ttl\": \"1h\"},"
                + " \"tools\": [{\"name\": \"t\", \"input_schema\": {\"type\": \"object\"}, " + eph + "}],"
                + " \"system\": [{\"type\": \"text\", \"text\": \"S1\"}, {\"type\": \"text\", \"text\": \"S2\", " + eph + "}],"
                + " \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"document\", \"source\": {\"type\": \"file\", \"file_id\": \"" + file + "\"}},"
                + " {\"type\": \"text\", \"text\": \"What is the code?\", " + eph + "}]},"
                + " {\"role\": \"assistant\", \"content\": [{\"type\": \"thinking\", \"thinking\": \"t\", \"signature\": \"sig\"}, {\"type\": \"text\", \"text\": \"Ask.\", \"citations\": null}]},"
                + " {\"role\": \"user\", \"content\": [{\"type\": \"document\", \"title\": \"memo\", \"source\": {\"type\": \"text\", \"media_type\": \"text/plain\", \"data\": \"Memo text.\"}}]},"
                + " {\"role\": \"user\", \"content\": \"Again?\"}]}";
        HttpResponse<String> r = post("/v1/messages", body);
        assertEquals(200, r.statusCode(), r.body());
        Turn.Given given = assertInstanceOf(Turn.Given.class, turns.getLast().source());
        // tools (0), system (1), first user message (2); the last two user messages are one; the request's own mark: all 4
        assertEquals(List.of(0, 1, 2, 4), given.cachePrefixes());
        assertEquals(List.of(file), given.documents().stream().map(d -> d.fileId()).toList());
        String prompt = prompts.getLast();
        assertTrue(prompt.contains("S1\nS2"), prompt);
        assertTrue(prompt.contains("<document name=\"notes.txt\">\nThe launch code is tulip.\n</document>\n\nWhat is the code?"), prompt);
        assertTrue(prompt.contains("<document name=\"memo\">\nMemo text.\n</document>\nAgain?"), "two user messages are one turn: " + prompt);
        assertTrue(prompt.indexOf("tulip") < prompt.indexOf("What is the code?"), "a document before its message's text");

        HttpResponse<String> missing = post("/v1/messages", body.replace(file, "file_nope"));
        assertEquals(404, missing.statusCode(), missing.body());
        assertEquals("not_found_error", json(missing).get("error").get("type").asText());
    }

    private static void assertAnthropicError(HttpResponse<String> r, int status, String type, String mentions) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = json(r);
        assertEquals(Set.of("type", "error", "request_id"), fields(e), r.body());
        assertEquals("error", e.get("type").asText());
        assertEquals(Set.of("type", "message"), fields(e.get("error")));
        assertEquals(type, e.get("error").get("type").asText(), r.body());
        assertTrue(e.get("error").get("message").asText().contains(mentions), mentions + " in " + r.body());
    }

    @Test
    void badInputIsAnInvalidRequestErrorInAnthropicsShape() throws Exception {
        String user = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{" + user + "}", "max_tokens");
        cases.put("{\"max_tokens\": \"ten\", " + user + "}", "max_tokens");
        cases.put("{\"max_tokens\": 0, " + user + "}", "max_tokens");
        cases.put("{\"max_tokens\": 5, \"messages\": \"hi\"}", "messages");
        cases.put("{\"max_tokens\": 5, \"messages\": []}", "messages");
        cases.put("{\"max_tokens\": 5, \"system\": 5, " + user + "}", "system");
        cases.put("{\"max_tokens\": 5, \"temperature\": 2, " + user + "}", "temperature");
        cases.put("{\"max_tokens\": 5, \"stop_sequences\": \"x\", " + user + "}", "stop_sequences");
        cases.put("{\"max_tokens\": 5, \"stream\": \"yes\", " + user + "}", "stream");
        cases.put("{\"max_tokens\": 5, \"frequency_penalty\": 1, " + user + "}", "frequency_penalty");
        cases.put("{\"max_tokens\": 5, \"messages\": [{\"role\": \"system\", \"content\": \"hi\"}]}", "top-level 'system'");
        cases.put("{\"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"video\", \"url\": \"x\"}]}]}", "video");
        cases.put("{\"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image\", \"source\": {}}]}]}", "image");
        cases.put("{\"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": 7}]}]}", "messages.0.content.0.text");
        cases.put("{\"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\", \"cache_control\": {\"type\": \"forever\"}}]}]}",
                "cache_control");
        cases.put("{\"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"The answer is (\"}]}",
                "prefill");
        cases.put("{\"max_tokens\": 5, \"tools\": [" + WEATHER + "], \"tool_choice\": {\"type\": \"tool\", \"name\": \"nope\"}, " + user + "}", "nope");
        cases.put("{\"max_tokens\": 5, \"tool_choice\": {\"type\": \"any\"}, " + user + "}", "at least one tool");
        cases.put("{\"max_tokens\": 5, \"tools\": [" + WEATHER + "], \"tool_choice\": \"auto\", " + user + "}", "tool_choice");
        cases.put("{\"max_tokens\": 5, \"tools\": [{\"type\": \"web_search_20250305\", \"name\": \"web_search\"}], " + user + "}", "server tools");
        cases.put("{\"max_tokens\": 5, \"tools\": [{\"name\": \"x\"}], " + user + "}", "input_schema");
        cases.put("{\"max_tokens\": 5, \"tools\": [" + WEATHER + "], \"tool_choice\": {\"type\": \"any\"}, \"thinking\": {\"type\": \"enabled\", \"budget_tokens\": 2000}, "
                + user + "}", "thinking");
        cases.put("{\"max_tokens\": 5, \"thinking\": {\"type\": \"sometimes\"}, " + user + "}", "thinking");
        cases.put("{\"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"tool_use\", \"id\": \"a\", \"name\": \"b\", \"input\": {}}]}]}",
                "assistant messages");
        for (var c : cases.entrySet()) {
            assertAnthropicError(post("/v1/messages", c.getKey()), 400, "invalid_request_error", c.getValue());
        }
        assertAnthropicError(server.post("/v1/messages", "{\"max_tokens\": 5, " + user + "}", "x-api-key", KEY, "anthropic-version", "latest"),
                400, "invalid_request_error", "anthropic-version");
        assertAnthropicError(post("/v1/messages/count_tokens", "{\"max_tokens\": 5, " + user + "}"), 400, "invalid_request_error", "max_tokens");
        assertAnthropicError(post("/v1/messages", "{\"max_tokens\": 5, " + user), 400, "invalid_request_error", "JSON");
    }

    @Test
    void keysRoutesAndSizesAreAnsweredInAnthropicsShape() throws Exception {
        for (String path : List.of("/v1/messages", "/v1/messages/count_tokens", "/v1/messages/batches")) {
            assertAnthropicError(server.post(path, "{}"), 401, "authentication_error", "API key");
            assertAnthropicError(server.post(path, "{}", "x-api-key", "wrong"), 401, "authentication_error", "API key");
        }
        assertAnthropicError(post("/v1/messages/batches", "{}"), 404, "not_found_error", "/v1/messages/batches");
        assertAnthropicError(server.get("/v1/messages", "x-api-key", KEY), 405, "invalid_request_error", "POST");
        // OpenAI's /v1/ keeps its own shape
        JsonNode openAi = json(server.get("/v1/nothing", "x-api-key", KEY));
        assertTrue(openAi.get("error").has("code"), openAi.toString());
        // the Authorization header works too (the SDK's authToken)
        assertEquals(200, server.post("/v1/messages/count_tokens", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "Authorization", "Bearer " + KEY).statusCode());
    }

    @Test
    void anOversizedBodyIsRequestTooLarge() throws Exception {
        String big = "{\"max_tokens\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(4000) + "\"}]}";
        assertAnthropicError(small.post("/v1/messages", big), 413, "request_too_large", "2048");
    }

    @Test
    void aClientLeavingMidStreamFreesTheSlot() throws Exception {
        double before = server.cancelledRequests();
        LeavingClient.leaveAfterFirstPiece(server, "/v1/messages", "{\"max_tokens\": 3000, \"stream\": true, \"thinking\": {\"type\": \"disabled\"},"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"A long story.\"}]}", "content_block_delta", "x-api-key", KEY);
        server.awaitIdleSlots();
        assertEquals(before + 1, server.cancelledRequests(), "the generation ended as cancelled, well before 3000 tokens");
    }

    @Test
    void theAnthropicSdkWorks() {
        NodeClients.run("anthropic-messages.mjs", "http://127.0.0.1:" + server.server.port(), Duration.ofSeconds(120), List.of("PARLEY_KEY=" + KEY));
    }

    @Test
    void consecutiveMessagesOfOneRoleAreOneTurn() throws Exception {
        post("/v1/messages", "{\"max_tokens\": 1, \"messages\": [{\"role\": \"user\", \"content\": \"one\"}, {\"role\": \"user\", \"content\": \"two\"}]}");
        String prompt = prompts.getLast();
        assertTrue(prompt.contains("one\ntwo"), prompt);
        assertEquals(prompt.indexOf("<|im_start|>user"), prompt.lastIndexOf("<|im_start|>user"), "one user turn: " + prompt);
    }
}
