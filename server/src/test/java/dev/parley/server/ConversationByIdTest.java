package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@code POST /api/conversation/{conversationId}}: a conversation the client names and the server keeps. */
class ConversationByIdTest {

    private static final String ALICE = "alice-secret-key-1";
    private static final String BOB = "bob-secret-key-22";
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "4096"}, keys = "alice:" + ALICE + "\nbob:" + BOB + "\n")
    private static TestServer server;

    static Set<String> keys(JsonNode o) {
        Set<String> names = new TreeSet<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static HttpResponse<String> say(String name, String key, String body) throws Exception {
        return server.post("/api/conversation/" + name, body, "x-api-key", key);
    }

    /** The stored thread behind a response, read through Parley's threads API with the same key. */
    private static JsonNode thread(HttpResponse<String> r, String key) throws Exception {
        String id = r.headers().firstValue("x-session-id").orElseThrow();
        HttpResponse<String> t = server.get("/api/v1/conversations/" + id, "x-api-key", key);
        assertEquals(200, t.statusCode(), t.body());
        return Json.MAPPER.readTree(t.body());
    }

    @Test
    void aNewNameStartsAThreadAndEachExchangeIsStored() throws Exception {
        HttpResponse<String> first = say("chat-one", ALICE, "{\"prompt\": \"What is my favourite number?\", \"max_tokens\": 3, "
                + "\"temperature\": 0, \"board_id\": \"b-1\", \"chat_id\": \"c-1\", \"model\": \"gpt-4o\", \"user\": \"u\", \"source\": \"s\"}");
        assertEquals(200, first.statusCode(), first.body());
        JsonNode a = Json.MAPPER.readTree(first.body());
        assertEquals(Set.of("text", "thinking", "finish_reason", "message_id", "usage", "credits_used", "credits_remaining"), keys(a));
        assertTrue(a.get("credits_used").asDouble() > 0, "every call is charged");
        assertTrue(a.get("credits_remaining").isNull(), "alice has no budget");
        assertEquals(Set.of("prompt_tokens", "cached_prompt_tokens", "completion_tokens", "reasoning_tokens"), keys(a.get("usage")));
        assertEquals("length", a.get("finish_reason").asText());
        assertEquals(3, a.get("usage").get("completion_tokens").asInt());
        assertTrue(a.get("message_id").asText().startsWith("msg_"));

        JsonNode t = thread(first, ALICE);
        assertEquals("chat-one", t.get("metadata").get("conversation_id").asText());
        assertEquals(2, t.get("messages").size());
        assertEquals("What is my favourite number?", t.get("messages").get(0).get("content").asText());
        assertEquals(a.get("text").asText(), t.get("messages").get(1).get("content").asText());

        HttpResponse<String> second = say("chat-one", ALICE, "{\"prompt\": \"And again?\", \"max_tokens\": 3, \"temperature\": 0}");
        assertEquals(200, second.statusCode(), second.body());
        assertEquals(first.headers().firstValue("x-session-id"), second.headers().firstValue("x-session-id"), "the same thread");
        JsonNode b = Json.MAPPER.readTree(second.body());
        assertTrue(b.get("usage").get("cached_prompt_tokens").asInt() >= a.get("usage").get("prompt_tokens").asInt(),
                "the second exchange continues the stored history, whose prompt is still cached: " + b);
        assertEquals(4, thread(second, ALICE).get("messages").size());
    }

    @Test
    void additionalContextAndPlaintextReachThisPromptOnlyAndSaveHistoryFalseStoresNothing() throws Exception {
        String ask = "{\"prompt\": \"Summarise.\", \"max_tokens\": 2, \"temperature\": 0";
        int plain = Json.MAPPER.readTree(say("ctx-a", ALICE, ask + "}").body()).get("usage").get("prompt_tokens").asInt();
        HttpResponse<String> withContext = say("ctx-b", ALICE, ask + ", \"additional_context\": \"The report says sales rose.\", "
                + "\"plaintext\": \"active\"}");
        int longer = Json.MAPPER.readTree(withContext.body()).get("usage").get("prompt_tokens").asInt();
        assertTrue(longer > plain + 10, "context and the plain-text instruction add tokens: " + plain + " vs " + longer);
        assertEquals("Summarise.", thread(withContext, ALICE).get("messages").get(0).get("content").asText(), "only the prompt is stored");

        HttpResponse<String> offTheRecord = say("ctx-c", ALICE, ask + ", \"save_history\": false}");
        assertTrue(Json.MAPPER.readTree(offTheRecord.body()).get("message_id").isNull());
        assertEquals(0, thread(offTheRecord, ALICE).get("messages").size(), "the thread exists (created) but holds nothing");
    }

    @Test
    void streamingIsOnForTrueOrActiveOnlyAndSendsTextDeltasThenFinish() throws Exception {
        for (String off : List.of("\"yes\"", "\"false\"", "1")) {
            HttpResponse<String> r = say("stream-off", ALICE, "{\"prompt\": \"hi\", \"max_tokens\": 2, \"streaming\": " + off + "}");
            assertEquals("application/json", r.headers().firstValue("content-type").orElse(""), "streaming " + off + " is off");
        }
        HttpResponse<String> r = say("stream-on", ALICE, "{\"prompt\": \"hi\", \"max_tokens\": 4, \"temperature\": 0, \"streaming\": \"active\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> parts = new ArrayList<>();
        for (String event : r.body().split("\n\n")) {
            if (!event.isBlank()) {
                assertTrue(event.startsWith("data: "), event);
                parts.add(Json.MAPPER.readTree(event.substring(6)));
            }
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode p : parts.subList(0, parts.size() - 1)) {
            assertEquals(Set.of("type", "textDelta"), keys(p));
            if (p.get("type").asText().equals("text-delta")) {
                text.append(p.get("textDelta").asText());
            }
        }
        JsonNode finish = parts.getLast();
        assertEquals(Set.of("type", "finishReason", "usage", "credits_used", "credits_remaining"), keys(finish));
        assertEquals("finish", finish.get("type").asText());
        assertEquals("length", finish.get("finishReason").asText());
        assertEquals(Set.of("promptTokens", "completionTokens", "totalTokens"), keys(finish.get("usage")));
        assertEquals(4, finish.get("usage").get("completionTokens").asInt());
        assertEquals(text.toString(), thread(r, ALICE).get("messages").get(1).get("content").asText(), "the streamed reply is what was stored");
    }

    @Test
    void aClientThatLeavesMidStreamCancelsAndStoresNothing() throws Exception {
        HttpResponse<String> started = say("left", ALICE, "{\"prompt\": \"Before.\", \"max_tokens\": 1}");
        double before = server.cancelledRequests();
        LeavingClient.leaveAfterFirstPiece(server, "/api/conversation/left", "{\"prompt\": \"A long story.\", \"max_tokens\": 3000, "
                + "\"streaming\": \"true\"}", "text-delta", "x-api-key", ALICE);
        server.awaitIdleSlots();
        assertEquals(before + 1, server.cancelledRequests());
        assertEquals(2, thread(started, ALICE).get("messages").size(), "only the first exchange is stored");
    }

    @Test
    void theKeyMayComeAsQueryParameterAndEachKeyHasItsOwnConversations() throws Exception {
        HttpResponse<String> none = server.post("/api/conversation/shared-name", "{\"prompt\": \"hi\", \"max_tokens\": 1}");
        assertEquals(401, none.statusCode());
        JsonNode e = Json.MAPPER.readTree(none.body());
        assertEquals(Set.of("error"), keys(e));
        assertTrue(e.get("error").asText().contains("api_key"), "the message says where the key may go: " + e);

        HttpResponse<String> alice = server.post("/api/conversation/shared-name?api_key=" + ALICE + "&board_id=b&chat_id=c",
                "{\"prompt\": \"alice here\", \"max_tokens\": 1}");
        assertEquals(200, alice.statusCode(), alice.body());
        HttpResponse<String> bob = say("shared-name", BOB, "{\"prompt\": \"bob here\", \"max_tokens\": 1}");
        assertEquals(200, bob.statusCode(), bob.body());
        String aliceThread = alice.headers().firstValue("x-session-id").orElseThrow();
        assertNotEquals(aliceThread, bob.headers().firstValue("x-session-id").orElseThrow(), "the same name is two conversations");
        assertEquals("bob here", thread(bob, BOB).get("messages").get(0).get("content").asText());
        assertEquals(2, thread(alice, ALICE).get("messages").size(), "bob's exchange did not land in alice's thread");
        assertEquals(404, server.get("/api/v1/conversations/" + aliceThread, "x-api-key", BOB).statusCode());
    }

    @Test
    void badInputIsA400InTheApisErrorShape() throws Exception {
        for (String body : List.of("{}", "{\"prompt\": \"\"}", "{\"prompt\": 7}", "{\"prompt\": \"hi\", \"wat\": 1}",
                "{\"prompt\": \"hi\", \"max_tokens\": 0}", "{\"prompt\": \"hi\", \"save_history\": \"maybe\"}", "[1]", "not json")) {
            HttpResponse<String> r = say("bad-input", ALICE, body);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            JsonNode e = Json.MAPPER.readTree(r.body());
            assertEquals(Set.of("error"), keys(e), body);
            assertTrue(!e.get("error").asText().isBlank());
        }
    }
}
