package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cache hints through the HTTP API, with one slot and a RAM tier (no disk) that holds about two and a half
 * saved conversations: a conversation pinned by OpenAI's prompt_cache_key or Anthropic's cache_control
 * outlives three others that take the slot after it, and comes back counted as cached in each API's own
 * usage field; the same traffic without the hint evicts it.
 */
class CacheHintsApiTest {

    private static TestServer probe;
    /** The RAM budget: two and a half saved conversations of this test's size. */
    private static long budget;

    @BeforeAll
    static void measure() throws Exception {
        probe = new TestServer("--slots", "1", "--ctx-size", "2048", "--kv-ram-budget", "64MiB", "--no-kv-disk");
        chat(probe, "x-session-id", "probe", text("probe"), null);
        chat(probe, null, null, text("other"), null); // takes the slot: the probe's KV is saved
        long one = probe.server.engine().kvStats().ramBytes();
        assertTrue(one > 0, "the probe conversation was saved");
        budget = one * 5 / 2;
    }

    @AfterAll
    static void stop() {
        probe.close();
    }

    private TestServer tiny() {
        return new TestServer("--slots", "1", "--ctx-size", "2048", "--kv-ram-budget", String.valueOf(budget), "--no-kv-disk");
    }

    /** About 150 tokens on {@code topic}; topics of one word and one digit keep every conversation the same size. */
    private static String text(String topic) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            b.append("Sentence ").append(i).append(" about ").append(topic).append(". ");
        }
        return b.toString();
    }

    /** A chat completion with a system and a user message; {@code extra} adds fields. */
    private static JsonNode chat(TestServer s, String header, String value, String system, UnaryOperator<ObjectNode> extra) throws Exception {
        ObjectNode body = Json.object().put("model", "tiny").put("max_tokens", 3).put("temperature", 0);
        var messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", system);
        messages.addObject().put("role", "user").put("content", "Summarise.");
        if (extra != null) {
            extra.apply(body);
        }
        HttpResponse<String> r = header == null ? s.post("/v1/chat/completions", body.toString())
                : s.post("/v1/chat/completions", body.toString(), header, value);
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    /** Three other named conversations take the slot in turn (each saved to RAM as the next arrives). */
    private static void otherTraffic(TestServer s) throws Exception {
        for (int i = 1; i <= 3; i++) {
            chat(s, "x-session-id", "other-" + i, text("filler" + i), null);
        }
    }

    private static int chatCached(JsonNode completion) {
        return completion.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt(-1);
    }

    @Test
    void promptCacheKeyKeepsTheWholePromptThroughOtherTraffic() throws Exception {
        try (TestServer s = tiny()) {
            UnaryOperator<ObjectNode> hint = b -> b.put("prompt_cache_key", "docs-bot").put("prompt_cache_retention", "24h");
            JsonNode first = chat(s, null, null, text("lighthouses"), hint);
            assertEquals(0, chatCached(first));
            otherTraffic(s);
            JsonNode again = chat(s, null, null, text("lighthouses"), hint);
            int prompt = again.path("usage").path("prompt_tokens").asInt();
            assertEquals(prompt - 1, chatCached(again), "all but the one token decoded for logits came from RAM");
        }
    }

    @Test
    void withoutAHintTheSameConversationIsEvicted() throws Exception {
        try (TestServer s = tiny()) {
            chat(s, "x-session-id", "docs-bot", text("lighthouses"), null); // named, as prompt_cache_key names it, but unpinned
            otherTraffic(s);
            JsonNode again = chat(s, "x-session-id", "docs-bot", text("lighthouses"), null);
            assertTrue(chatCached(again) < 32, "only the template's opening can match the slot: " + again.path("usage"));
            assertTrue(s.server.engine().kvStats().evictedRam() > 0);
        }
    }

    @Test
    void responsesReportThePinnedPromptAsCachedInput() throws Exception {
        try (TestServer s = tiny()) {
            ObjectNode body = Json.object().put("model", "tiny").put("max_output_tokens", 3).put("temperature", 0).put("store", false)
                    .put("instructions", text("lighthouses")).put("prompt_cache_key", "docs-bot");
            body.putArray("input").addObject().put("role", "user").put("content", "Summarise.");
            assertEquals(200, s.post("/v1/responses", body.toString()).statusCode());
            otherTraffic(s);
            HttpResponse<String> r = s.post("/v1/responses", body.toString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode usage = Json.MAPPER.readTree(r.body()).path("usage");
            assertEquals(usage.path("input_tokens").asInt() - 1, usage.path("input_tokens_details").path("cached_tokens").asInt(), usage.toString());
        }
    }

    /** A message with a long system prompt (marked when {@code ttl} is not null: "" for no ttl) and a user question. */
    private static JsonNode message(TestServer s, String question, String ttl) throws Exception {
        ObjectNode body = Json.object().put("model", "tiny").put("max_tokens", 3).put("temperature", 0);
        ObjectNode system = body.putArray("system").addObject().put("type", "text").put("text", text("lighthouses"));
        if (ttl != null) {
            ObjectNode mark = system.putObject("cache_control").put("type", "ephemeral");
            if (!ttl.isEmpty()) {
                mark.put("ttl", ttl);
            }
        }
        body.putArray("messages").addObject().put("role", "user").put("content", question);
        HttpResponse<String> r = s.post("/v1/messages", body.toString(), "anthropic-version", "2023-06-01");
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body()).path("usage");
    }

    @Test
    void cacheControlKeepsTheMarkedSystemPromptForALaterQuestion() throws Exception {
        int marked;
        try (TestServer s = tiny()) {
            JsonNode first = message(s, "Summarise.", "1h");
            assertEquals(0, first.path("cache_read_input_tokens").asInt());
            marked = first.path("input_tokens").asInt();
            otherTraffic(s);
            JsonNode later = message(s, "What else?", "");
            int read = later.path("cache_read_input_tokens").asInt();
            assertTrue(read > marked / 2 && read < marked, "the system prompt came back from RAM, the question did not: " + later);
            assertEquals(0, later.path("cache_creation_input_tokens").asInt());
            assertTrue(later.path("input_tokens").asInt() > 0, "input_tokens counts what was not read from cache: " + later);
        }
    }

    @Test
    void withoutCacheControlTheSystemPromptIsEvicted() throws Exception {
        try (TestServer s = tiny()) {
            message(s, "Summarise.", null);
            otherTraffic(s);
            JsonNode later = message(s, "What else?", null);
            assertTrue(later.path("cache_read_input_tokens").asInt() < 32, later.toString());
        }
    }

    @Test
    void aKeyThatIsNoHeaderValueNamesTheConversationByItsDigest() throws Exception {
        ObjectNode body = Json.object().put("model", "tiny").put("max_tokens", 2).put("prompt_cache_key", "manuel d'été\nbot");
        body.putArray("messages").addObject().put("role", "user").put("content", "hi");
        HttpResponse<String> r = probe.post("/v1/chat/completions", body.toString());
        assertEquals(200, r.statusCode(), r.body());
        String session = r.headers().firstValue("x-session-id").orElse("");
        assertTrue(session.matches("prompt-cache-[0-9a-f]{32}"), session);
        body.put("prompt_cache_key", "manual-bot");
        assertEquals("manual-bot", probe.post("/v1/chat/completions", body.toString()).headers().firstValue("x-session-id").orElse(null));
    }

    @Test
    void wrongTypesForTheHintsAreRefusedInEachApisShape() throws Exception {
        for (String field : new String[] {"{\"prompt_cache_key\": 5}", "{\"prompt_cache_retention\": \"forever\"}",
                "{\"prompt_cache_retention\": 24}"}) {
            ObjectNode body = (ObjectNode) Json.MAPPER.readTree(field);
            body.put("model", "tiny").putArray("messages").addObject().put("role", "user").put("content", "hi");
            HttpResponse<String> r = probe.post("/v1/chat/completions", body.toString());
            assertEquals(400, r.statusCode(), r.body());
            JsonNode e = Json.MAPPER.readTree(r.body()).path("error");
            assertEquals("invalid_request_error", e.path("type").asText(), r.body());
            assertEquals(body.fieldNames().next(), e.path("param").asText(), r.body());
            body.remove("messages");
            body.put("input", "hi");
            assertEquals(400, probe.post("/v1/responses", body.toString()).statusCode(), "responses: " + field);
        }
        for (String mark : new String[] {"{\"type\": \"ephemeral\", \"ttl\": 5}", "{\"type\": \"ephemeral\", \"ttl\": \"2h\"}"}) {
            String body = "{\"model\": \"tiny\", \"max_tokens\": 3, \"system\": [{\"type\": \"text\", \"text\": \"Be brief.\", \"cache_control\": "
                    + mark + "}], \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
            HttpResponse<String> r = probe.post("/v1/messages", body, "anthropic-version", "2023-06-01");
            assertEquals(400, r.statusCode(), r.body());
            JsonNode e = Json.MAPPER.readTree(r.body());
            assertEquals("error", e.path("type").asText(), r.body());
            assertEquals("invalid_request_error", e.path("error").path("type").asText(), r.body());
            assertTrue(e.path("error").path("message").asText().contains("ttl"), r.body());
        }
    }
}
