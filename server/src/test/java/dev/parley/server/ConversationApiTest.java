package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** POST /api/v1/continue_from_conversation_history and /continue_from_raw_prompt, driven over HTTP. */
class ConversationApiTest {

    private static final String HISTORY = "/api/v1/continue_from_conversation_history";
    @ServerFlags({"--slots", "4", "--ctx-size", "4096", "--max-tokens-limit", "1000"})
    private static TestServer server;

    private static String body(int maxTokens, Boolean thinking, String... userAssistant) {
        ObjectNode b = Json.object();
        b.put("add_generation_prompt", true);
        if (thinking != null) {
            b.put("enable_thinking", thinking);
        }
        b.put("max_tokens", maxTokens);
        b.put("temperature", 0);
        ArrayNode h = b.putArray("conversation_history");
        h.addObject().put("role", "system").put("content", "You are a helpful assistant.");
        for (int i = 0; i < userAssistant.length; i++) {
            h.addObject().put("role", i % 2 == 0 ? "user" : "assistant").put("content", userAssistant[i]);
        }
        return b.toString();
    }

    /** The concatenated Token texts; checks every line's exact shape on the way. */
    private static String tokens(List<JsonNode> lines, String requestId) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode r = lines.get(i).get("Response");
            assertEquals(1, lines.get(i).size(), "one top-level key: " + lines.get(i));
            assertEquals(requestId, r.get("request_id").asText());
            JsonNode gen = r.get("response").get("GeneratedToken");
            assertTrue(gen.get("slot").isInt() && gen.get("slot").asInt() >= 0 && gen.get("slot").asInt() < 4);
            JsonNode result = gen.get("generated_token_result");
            if (i == lines.size() - 1) {
                assertEquals("Done", result.asText(), "the last line is Done");
            } else {
                assertTrue(result.isObject() && result.get("Token").isTextual(), "a Token line: " + lines.get(i));
                text.append(result.get("Token").asText());
            }
        }
        return text.toString();
    }

    @Test
    void streamsTokensThenDoneInTheExactShape() throws Exception {
        HttpResponse<String> r = server.post(HISTORY, body(8, true, "Hello, how are you?"), "X-Request-Id", "req-123456");
        assertEquals(200, r.statusCode());
        assertEquals("application/x-ndjson", r.headers().firstValue("content-type").orElse(""));
        List<JsonNode> lines = TestServer.ndjson(r.body());
        assertFalse(tokens(lines, "req-123456").isEmpty());
        assertTrue(lines.size() >= 2 && lines.size() <= 9, "at most max_tokens Token lines, then Done: " + lines.size());
    }

    @Test
    void maxTokensIsHonoured() throws Exception {
        double before = server.metric("parley_generated_tokens_total");
        HttpResponse<String> r = server.post(HISTORY, body(5, null, "Count please."));
        assertEquals(200, r.statusCode());
        assertEquals(5.0, server.metric("parley_generated_tokens_total") - before);
    }

    @Test
    void enableThinkingChangesTheRenderedPrompt() throws Exception {
        double p0 = server.metric("parley_prompt_tokens_total");
        server.post(HISTORY, body(1, true, "Think about it."));
        double p1 = server.metric("parley_prompt_tokens_total");
        server.post(HISTORY, body(1, false, "Think about it."));
        double p2 = server.metric("parley_prompt_tokens_total");
        // Qwen3's template closes an empty <think></think> block when thinking is off.
        assertEquals(p1 - p0 + 4, p2 - p1, "thinking off adds '<think>\\n\\n</think>\\n\\n' (4 tokens) to the prompt");
    }

    @Test
    void aSecondTurnReusesTheCache() throws Exception {
        HttpResponse<String> t1 = server.post(HISTORY, body(6, null, "Let us talk about caching."), "X-Request-Id", "turn-1");
        String reply = tokens(TestServer.ndjson(t1.body()), "turn-1");
        double cachedBefore = server.metric("parley_prompt_cached_tokens_total");
        HttpResponse<String> t2 = server.post(HISTORY, body(4, null, "Let us talk about caching.", reply, "Go on."), "X-Request-Id", "turn-2");
        assertEquals(200, t2.statusCode());
        assertTrue(server.metric("parley_prompt_cached_tokens_total") - cachedBefore >= 10,
                "the second turn reuses the first one's prompt from the KV cache");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown field              | {"conversation_history":[{"role":"user","content":"hi"}],"max_tokens":4,"bogus":1}                 | bogus
            max_tokens of wrong type   | {"conversation_history":[{"role":"user","content":"hi"}],"max_tokens":"four"}                      | max_tokens
            missing history            | {"max_tokens":4}                                                                                 | conversation_history
            empty history              | {"conversation_history":[],"max_tokens":4}                                                       | conversation_history
            history not a list         | {"conversation_history":"hi","max_tokens":4}                                                     | conversation_history
            unknown role               | {"conversation_history":[{"role":"bot","content":"hi"}],"max_tokens":4}                            | role
            message without role       | {"conversation_history":[{"content":"hi"}],"max_tokens":4}                                        | role
            max_tokens below 1         | {"conversation_history":[{"role":"user","content":"hi"}],"max_tokens":0}                           | max_tokens
            max_tokens over the limit  | {"conversation_history":[{"role":"user","content":"hi"}],"max_tokens":1001}                        | max_tokens
            enable_thinking wrong type | {"conversation_history":[{"role":"user","content":"hi"}],"enable_thinking":"yes"}                  | enable_thinking
            temperature out of range   | {"conversation_history":[{"role":"user","content":"hi"}],"temperature":-1}                         | temperature
            stop not strings           | {"conversation_history":[{"role":"user","content":"hi"}],"stop":[1]}                               | stop
            not json                   | {"conversation_history":                                                                         | JSON
            """)
    void badRequestsGet400NamingTheField(String name, String json, String field) throws Exception {
        HttpResponse<String> r = server.post(HISTORY, json, "X-Request-Id", "bad-1");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode err = Json.MAPPER.readTree(r.body()).get("Error");
        assertEquals("bad-1", err.get("request_id").asText());
        assertEquals(400, err.get("error").get("code").asInt());
        assertTrue(err.get("error").get("description").asText().contains(field), err.toString());
    }

    @Test
    void aPromptLongerThanTheContextIs413() throws Exception {
        String huge = "word ".repeat(6000);
        HttpResponse<String> r = server.post(HISTORY, body(4, null, huge));
        assertEquals(413, r.statusCode(), r.body());
        assertEquals(413, Json.MAPPER.readTree(r.body()).get("Error").get("error").get("code").asInt());
    }

    @Test
    void rawPromptsStreamTheSameWay() throws Exception {
        HttpResponse<String> r = server.post("/api/v1/continue_from_raw_prompt",
                "{\"raw_prompt\": \"<|im_start|>user\\nhi<|im_end|>\\n<|im_start|>assistant\\n\", \"max_tokens\": 3, \"temperature\": 0}",
                "X-Request-Id", "raw-1");
        assertEquals(200, r.statusCode());
        assertFalse(tokens(TestServer.ndjson(r.body()), "raw-1").isEmpty());
        HttpResponse<String> missing = server.post("/api/v1/continue_from_raw_prompt", "{\"max_tokens\": 3}");
        assertEquals(400, missing.statusCode());
        assertTrue(missing.body().contains("raw_prompt"));
    }

    @Test
    void requestIdsAreUniqueWhenTheClientSendsNone() throws Exception {
        String a = TestServer.ndjson(server.post(HISTORY, body(1, null, "a")).body()).getFirst().get("Response").get("request_id").asText();
        String b = TestServer.ndjson(server.post(HISTORY, body(1, null, "b")).body()).getFirst().get("Response").get("request_id").asText();
        assertFalse(a.isBlank());
        assertFalse(a.equals(b));
    }

    @Test
    void aClientThatDisconnectsFreesItsSlot() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(server.uri(HISTORY)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body(1000, null, "Talk for a long time."))).build();
        HttpResponse<InputStream> r = server.http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertTrue(in.readLine().contains("Token"));
            assertTrue(in.readLine().contains("Token"));
        } // closing the body closes the connection
        long deadline = System.currentTimeMillis() + 10_000;
        boolean idle = false;
        while (!idle && System.currentTimeMillis() < deadline) {
            JsonNode slots = Json.MAPPER.readTree(server.get("/api/v1/slots").body()).get("slots");
            idle = true;
            for (JsonNode s : slots) {
                idle &= s.get("state").asText().equals("idle");
            }
            Thread.sleep(50);
        }
        assertTrue(idle, "every slot idle after the client left");
    }

    @Test
    void sixteenConcurrentStreamsOnFourSlotsAllComplete() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                int n = i;
                all.add(pool.submit(() -> server.post(HISTORY, body(12, null, "Concurrent request " + n), "X-Request-Id", "c-" + n)));
            }
            for (int i = 0; i < 16; i++) {
                HttpResponse<String> r = all.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                assertFalse(tokens(TestServer.ndjson(r.body()), "c-" + i).isEmpty());
            }
        }
    }

    @Test
    void metricsExposeSlotsQueueOutcomesTokensAndLatencies() throws Exception {
        server.post(HISTORY, body(2, null, "metrics"));
        PrometheusText metrics = server.metrics();
        for (String name : List.of("parley_slots_total", "parley_slots_busy", "parley_queue_length", "parley_requests_total",
                "parley_prompt_tokens_total", "parley_prompt_cached_tokens_total", "parley_generated_tokens_total",
                "parley_time_to_first_token_seconds_bucket", "parley_inter_token_latency_seconds_bucket",
                "parley_queue_wait_seconds_bucket", "parley_decode_step_seconds_bucket")) {
            assertFalse(metrics.named(name).isEmpty(), name + " missing from /metrics");
        }
        assertEquals(4.0, server.metric("parley_slots_total"));
        assertTrue(metrics.named("parley_requests_total").stream().anyMatch(r -> "length".equals(r.labels().get("outcome"))), "requests by outcome");
    }
}
