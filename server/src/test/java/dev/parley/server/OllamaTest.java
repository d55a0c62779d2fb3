package dev.parley.server;

import static dev.parley.server.ConversationByIdTest.keys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ollama's API: shapes of chat and generate (streamed and whole), model information, errors, and the ollama npm client. */
class OllamaTest {

    private static final String KEY = "ollama-user-key-1";
    private static final String[] AUTH = {"Authorization", "Bearer " + KEY};
    private static final Set<String> FINAL = Set.of("model", "created_at", "done", "done_reason", "total_duration", "load_duration",
            "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration");
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "16384", "--max-tokens-limit", "8000"}, keys = "someone:" + KEY + "\n", isolated = true) // its prompt watcher
    private static TestServer server;
    private static final List<String> prompts = new CopyOnWriteArrayList<>();
    private static final String TOOLS = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"The weather\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"enum\": [\"Paris\"]}}, "
            + "\"required\": [\"city\"]}}}]";

    @BeforeAll
    static void watchPrompts() {
        server.server.exchange().watchPrompts((turn, prompt) -> {
            if (prompt instanceof Prompt.Chat chat) {
                prompts.add(server.server.engine().render(chat));
            }
        });
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return server.post(path, body, AUTH);
    }

    private static Set<String> with(Set<String> base, String... more) {
        Set<String> all = new java.util.TreeSet<>(base);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void chatWholeAndStreamedHaveOllamasShapes() throws Exception {
        String chat = "{\"model\": \"anything:latest\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello!\"}], "
                + "\"options\": {\"num_predict\": 4, \"temperature\": 0, \"num_ctx\": 2048, \"mirostat\": 0}";
        HttpResponse<String> whole = post("/api/chat", chat + ", \"stream\": false}");
        assertEquals(200, whole.statusCode(), whole.body());
        JsonNode w = Json.MAPPER.readTree(whole.body());
        assertEquals(with(FINAL, "message"), keys(w));
        assertEquals(Set.of("role", "content"), keys(w.get("message")));
        assertEquals("anything:latest", w.get("model").asText(), "the asked-for name is echoed");
        assertEquals("length", w.get("done_reason").asText());
        assertEquals(4, w.get("eval_count").asInt());
        assertTrue(w.get("prompt_eval_count").asInt() > 0);

        HttpResponse<String> streamed = post("/api/chat", chat + "}");
        assertEquals("application/x-ndjson", streamed.headers().firstValue("content-type").orElse(""));
        List<JsonNode> lines = TestServer.ndjson(streamed.body());
        StringBuilder text = new StringBuilder();
        for (JsonNode line : lines.subList(0, lines.size() - 1)) {
            assertEquals(Set.of("model", "created_at", "message", "done"), keys(line));
            assertFalse(line.get("done").asBoolean());
            text.append(line.get("message").get("content").asText());
        }
        JsonNode last = lines.getLast();
        assertEquals(with(FINAL, "message"), keys(last));
        assertTrue(last.get("done").asBoolean());
        assertEquals("", last.get("message").get("content").asText());
        assertEquals(w.get("message").get("content").asText(), text.toString(), "greedy: the stream adds up to the whole answer");
    }

    @Test
    void generateWholeStreamedAndRaw() throws Exception {
        String gen = "{\"model\": \"m\", \"prompt\": \"Why is the sky blue?\", \"system\": \"Be brief.\", \"options\": {\"num_predict\": 3, "
                + "\"temperature\": 0}";
        JsonNode w = Json.MAPPER.readTree(post("/api/generate", gen + ", \"stream\": false}").body());
        assertEquals(with(FINAL, "response"), keys(w));
        assertEquals(3, w.get("eval_count").asInt());
        List<JsonNode> lines = TestServer.ndjson(post("/api/generate", gen + "}").body());
        StringBuilder text = new StringBuilder();
        lines.subList(0, lines.size() - 1).forEach(l -> text.append(l.get("response").asText()));
        assertEquals(w.get("response").asText(), text.toString());

        JsonNode raw = Json.MAPPER.readTree(post("/api/generate", "{\"model\": \"m\", \"raw\": true, \"stream\": false, "
                + "\"prompt\": \"<|im_start|>user\\nhi<|im_end|>\\n<|im_start|>assistant\\n\", \"options\": {\"num_predict\": 2}}").body());
        assertEquals(2, raw.get("eval_count").asInt());
        assertTrue(raw.get("prompt_eval_count").asInt() < w.get("prompt_eval_count").asInt(), "raw: no template, no system prompt");
    }

    @Test
    void thinkingComesApartFromContentAndFormatConstrainsTheOutput() throws Exception {
        String grammar = "root ::= \\\"<think>\\\\nhmm\\\\n</think>\\\\n\\\\nAnswer.\\\"";
        JsonNode t = Json.MAPPER.readTree(post("/api/chat", "{\"model\": \"m\", \"think\": \"high\", \"stream\": false, \"grammar\": \""
                + grammar + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Think.\"}], \"options\": {\"num_predict\": 40}}").body());
        assertEquals(Set.of("role", "content", "thinking"), keys(t.get("message")));
        assertEquals("\nhmm\n", t.get("message").get("thinking").asText());
        assertEquals("\n\nAnswer.", t.get("message").get("content").asText());
        assertEquals("stop", t.get("done_reason").asText());

        List<JsonNode> lines = TestServer.ndjson(post("/api/generate", "{\"model\": \"m\", \"think\": true, \"grammar\": \"" + grammar
                + "\", \"prompt\": \"Think.\", \"options\": {\"num_predict\": 40}}").body());
        StringBuilder thinking = new StringBuilder();
        StringBuilder response = new StringBuilder();
        for (JsonNode l : lines) {
            thinking.append(l.path("thinking").asText(""));
            response.append(l.get("response").asText());
        }
        assertEquals("\nhmm\n", thinking.toString());
        assertEquals("\n\nAnswer.", response.toString());

        String schema = "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 9}}, \"required\": [\"n\"]}";
        JsonNode s = Json.MAPPER.readTree(post("/api/generate", "{\"model\": \"m\", \"prompt\": \"A digit?\", \"stream\": false, \"format\": "
                + schema + ", \"options\": {\"num_predict\": 40, \"temperature\": 0}}").body());
        assertEquals("stop", s.get("done_reason").asText(), s.toString());
        int n = Json.MAPPER.readTree(s.get("response").asText()).get("n").asInt();
        assertTrue(n >= 1 && n <= 9, s.toString());
    }

    @Test
    void modelInformationRoutes() throws Exception {
        JsonNode tags = Json.MAPPER.readTree(server.get("/api/tags", AUTH).body());
        assertEquals(Set.of("models"), keys(tags));
        JsonNode m = tags.get("models").get(0);
        assertEquals(Set.of("name", "model", "modified_at", "size", "digest", "details"), keys(m));
        assertEquals(Set.of("parent_model", "format", "family", "families", "parameter_size", "quantization_level"), keys(m.get("details")));
        assertEquals("qwen3", m.get("details").get("family").asText());
        assertEquals("F32", m.get("details").get("quantization_level").asText(), "the tiny model's weights");
        assertEquals(Files.size(server.server.engine().model().path()), m.get("size").asLong());
        assertTrue(m.get("digest").asText().matches("[0-9a-f]{64}"));
        assertTrue(m.get("name").asText().endsWith(":latest"));

        JsonNode ps = Json.MAPPER.readTree(server.get("/api/ps", AUTH).body()).get("models").get(0);
        assertEquals(Set.of("name", "model", "size", "digest", "details", "expires_at", "size_vram", "context_length"), keys(ps));
        assertEquals(m.get("digest"), ps.get("digest"));

        HttpResponse<String> show = post("/api/show", "{\"model\": \"" + m.get("name").asText() + "\"}");
        assertEquals(200, show.statusCode(), show.body());
        JsonNode s = Json.MAPPER.readTree(show.body());
        assertEquals(Set.of("license", "modelfile", "parameters", "template", "details", "model_info", "capabilities", "modified_at"), keys(s));
        assertEquals("qwen3", s.get("model_info").get("general.architecture").asText());
        assertTrue(s.get("model_info").get("qwen3.block_count").asInt() > 0);
        assertTrue(s.get("template").asText().contains("im_start"), "the model's chat template");
        assertTrue(s.get("capabilities").toString().contains("thinking"), "Qwen3's template has a thinking switch");

        assertEquals(Set.of("version"), keys(Json.MAPPER.readTree(server.get("/api/version", AUTH).body())));

        JsonNode load = Json.MAPPER.readTree(post("/api/chat", "{\"model\": \"m\", \"messages\": []}").body());
        assertEquals("load", load.get("done_reason").asText());
        assertTrue(load.get("done").asBoolean());
    }

    @Test
    void badInputAndMissingKeysAnswerOllamasErrorShape() throws Exception {
        for (String body : List.of("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "{\"model\": \"m\", \"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}",
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"images\": [\"iVBOR\"]}]}",
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"options\": {\"temperature\": \"hot\"}}",
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"options\": {\"num_predict\": 9000}}",
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"format\": \"yaml\"}",
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"format\": {\"type\": \"object\", \"not\": {}}}",
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"think\": \"very\"}",
                "{\"model\": \"m\", \"messages\": \"hi\"}", "nope")) {
            HttpResponse<String> r = post("/api/chat", body);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            assertEquals(Set.of("error"), keys(Json.MAPPER.readTree(r.body())), body);
        }
        assertEquals(400, post("/api/generate", "{\"model\": \"m\", \"prompt\": \"x\", \"suffix\": \"y\"}").statusCode());
        HttpResponse<String> noKey = server.get("/api/tags");
        assertEquals(401, noKey.statusCode());
        assertEquals(Set.of("error"), keys(Json.MAPPER.readTree(noKey.body())));
    }

    @Test
    void toolCallsComeBackInMessageToolCallsWholeAndStreamed() throws Exception {
        // The tiny model's text is random: Parley's tool_choice extension forces the call (a grammar from the schema).
        String chat = "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}], \"tools\": " + TOOLS
                + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}, \"parallel_tool_calls\": false, \"options\": {\"num_predict\": 60}";
        HttpResponse<String> whole = post("/api/chat", chat + ", \"stream\": false}");
        assertEquals(200, whole.statusCode(), whole.body());
        JsonNode m = Json.MAPPER.readTree(whole.body()).get("message");
        assertEquals(Set.of("role", "content", "tool_calls"), keys(m), m.toString());
        assertEquals("", m.get("content").asText(), "the call's markup never reaches content: " + whole.body());
        assertEquals(Json.MAPPER.readTree("[{\"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}}]"),
                m.get("tool_calls"), "Ollama's shape: the arguments an object");
        assertEquals("stop", Json.MAPPER.readTree(whole.body()).get("done_reason").asText());

        List<JsonNode> lines = TestServer.ndjson(post("/api/chat", chat + "}").body());
        List<JsonNode> withCalls = lines.stream().filter(l -> l.get("message").has("tool_calls")).toList();
        assertEquals(1, withCalls.size(), "one object carries the whole call: " + lines);
        assertEquals(m.get("tool_calls"), withCalls.getFirst().get("message").get("tool_calls"));
        assertFalse(withCalls.getFirst().get("done").asBoolean(), "before the last object, as Ollama streams it");
        StringBuilder content = new StringBuilder();
        lines.forEach(l -> content.append(l.get("message").get("content").asText()));
        assertEquals("", content.toString());
        assertTrue(lines.getLast().get("done").asBoolean());

        // Without tool_choice (Ollama has none) calls are parsed all the same: here a grammar writes Qwen's markup.
        String markup = "root ::= \"<tool_call>\\n{\\\"name\\\": \\\"get_weather\\\", \\\"arguments\\\": {\\\"city\\\": \\\"Lyon\\\"}}\\n</tool_call>\"";
        HttpResponse<String> free = post("/api/chat", "{\"model\": \"m\", \"stream\": false, \"think\": false, \"grammar\": " + Json.MAPPER.writeValueAsString(markup)
                + ", \"messages\": [{\"role\": \"user\", \"content\": \"Weather?\"}], \"tools\": " + TOOLS.replace("\"enum\": [\"Paris\"]", "\"minLength\": 1")
                + ", \"options\": {\"num_predict\": 60}}");
        assertEquals(200, free.statusCode(), free.body());
        assertEquals("Lyon", Json.MAPPER.readTree(free.body()).get("message").get("tool_calls").get(0).get("function").get("arguments")
                .get("city").asText(), free.body());
    }

    @Test
    void aHistoryWithCallsAndToolResultsReachesTheTemplate() throws Exception {
        prompts.clear();
        HttpResponse<String> r = post("/api/chat", "{\"model\": \"m\", \"stream\": false, \"tools\": " + TOOLS + ", \"messages\": ["
                + "{\"role\": \"user\", \"content\": \"Weather in Paris?\"}, "
                + "{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}}]}, "
                + "{\"role\": \"tool\", \"tool_name\": \"get_weather\", \"content\": \"21 degrees and sunny\"}], \"options\": {\"num_predict\": 2}}");
        assertEquals(200, r.statusCode(), r.body());
        String prompt = prompts.getLast();
        assertTrue(prompt.contains("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>"), prompt);
        assertTrue(prompt.contains("<|im_start|>user\n<tool_response>\n21 degrees and sunny\n</tool_response><|im_end|>"), prompt);
        assertTrue(prompt.contains("<tools>\n{\"type\": \"function\""), "the tools are in the system prompt: " + prompt);
        assertTrue(prompt.endsWith("<|im_start|>assistant\n"), prompt);

        for (String bad : List.of("[{\"name\": \"get_weather\"}]", "[{\"function\": {\"name\": \"get_weather\", \"arguments\": \"{}\"}}]", "\"x\"")) {
            HttpResponse<String> refused = post("/api/chat", "{\"model\": \"m\", \"messages\": [{\"role\": \"assistant\", \"content\": \"\", "
                    + "\"tool_calls\": " + bad + "}]}");
            assertEquals(400, refused.statusCode(), bad + " -> " + refused.body());
            assertTrue(Json.MAPPER.readTree(refused.body()).get("error").asText().contains("tool_calls"), refused.body());
        }
        HttpResponse<String> badTools = post("/api/chat", "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"tools\": [{\"type\": \"retrieval\"}]}");
        assertEquals(400, badTools.statusCode(), badTools.body());
        assertEquals(Set.of("error"), keys(Json.MAPPER.readTree(badTools.body())));
    }

    @Test
    void keepAliveIsCheckedAsOllamaReadsIt() throws Exception {
        for (String ok : List.of("\"5m\"", "\"1h30m\"", "\"300ms\"", "\"0\"", "\"-1\"", "\"-1m\"", "300", "0", "-1", "2.5", "null")) {
            HttpResponse<String> r = post("/api/chat", "{\"model\": \"m\", \"messages\": [], \"keep_alive\": " + ok + "}");
            assertEquals(200, r.statusCode(), ok + " -> " + r.body());
            assertEquals(200, post("/api/generate", "{\"model\": \"m\", \"keep_alive\": " + ok + "}").statusCode(), ok);
        }
        for (String bad : List.of("\"soon\"", "\"5 minutes\"", "\"m\"", "\"\"", "true", "{}", "[1]")) {
            HttpResponse<String> r = post("/api/chat", "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                    + "\"keep_alive\": " + bad + "}");
            assertEquals(400, r.statusCode(), bad + " -> " + r.body());
            assertTrue(Json.MAPPER.readTree(r.body()).get("error").asText().contains("keep_alive"), r.body());
            assertEquals(400, post("/api/generate", "{\"model\": \"m\", \"prompt\": \"hi\", \"keep_alive\": " + bad + "}").statusCode(), bad);
        }
    }

    @Test
    void aStreamIsCancelledWhenTheClientLeaves() throws Exception {
        double before = server.cancelledRequests();
        LeavingClient.leaveAfterFirstPiece(server, "/api/chat", "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": "
                + "\"A long story.\"}], \"options\": {\"num_predict\": 8000}}", "\"done\":false", AUTH);
        server.awaitIdleSlots();
        assertEquals(before + 1, server.cancelledRequests(), "the generation ended as cancelled, well before 8000 tokens");
    }

    @Test
    void theOllamaNpmClientWorks() {
        NodeClients.run("ollama-client.mjs", "http://127.0.0.1:" + server.server.port(), Duration.ofSeconds(90), List.of("PARLEY_KEY=" + KEY));
    }
}
