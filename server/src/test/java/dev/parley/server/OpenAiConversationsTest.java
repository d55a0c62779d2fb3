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

/**
 * OpenAI's Conversations API and stored responses under API keys: owners kept apart, bad input refused in
 * OpenAI's shape, paging, deletes, and one conversation continued over every thread API.
 */
class OpenAiConversationsTest {

    private static final String ALICE = "Bearer alice-key-0123456789";
    private static final String BOB = "Bearer bob-key-0123456789";
    @ServerFlags(value = {"--slots", "1", "--ctx-size", "4096"}, keys = "alice:alice-key-0123456789\nbob:bob-key-0123456789\n")
    private static TestServer server;

    static HttpResponse<String> post(String key, String path, String body) throws Exception {
        return server.post(path, body, "Authorization", key);
    }

    static HttpResponse<String> get(String key, String path) throws Exception {
        return server.get(path, "Authorization", key);
    }

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    static JsonNode error(int status, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertTrue(e.get("message").isTextual(), r.body());
        assertEquals(status == 404 ? "not_found_error" : "invalid_request_error", e.get("type").asText());
        return e;
    }

    static String conversation(String key, String items) throws Exception {
        JsonNode c = ok(post(key, "/v1/conversations", "{\"metadata\": {\"topic\": \"test\"}, \"items\": " + items + "}"));
        assertEquals("conversation", c.get("object").asText());
        assertTrue(c.get("id").asText().startsWith("conv_"));
        assertEquals("test", c.get("metadata").get("topic").asText());
        return c.get("id").asText();
    }

    static JsonNode respond(String key, String conversation, String input, String extra) throws Exception {
        return ok(post(key, "/v1/responses", "{\"conversation\": " + conversation + ", \"input\": " + input
                + ", \"max_output_tokens\": 4, \"temperature\": 0" + extra + "}"));
    }

    static List<JsonNode> items(String key, String id) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        ok(get(key, "/v1/conversations/" + id + "/items?order=asc&limit=100")).get("data").forEach(out::add);
        return out;
    }

    @Test
    void anotherKeysConversationsItemsAndResponsesAre404() throws Exception {
        String id = conversation(ALICE, "[{\"role\": \"user\", \"content\": \"Secret plans.\"}]");
        JsonNode r = respond(ALICE, "\"" + id + "\"", "\"And?\"", "");
        String item = items(ALICE, id).getFirst().get("id").asText();
        String resp = r.get("id").asText();
        error(404, get(BOB, "/v1/conversations/" + id));
        error(404, get(BOB, "/v1/conversations/" + id + "/items"));
        error(404, get(BOB, "/v1/conversations/" + id + "/items/" + item));
        error(404, server.send("DELETE", "/v1/conversations/" + id + "/items/" + item, null, "Authorization", BOB));
        error(404, server.send("DELETE", "/v1/conversations/" + id, null, "Authorization", BOB));
        error(404, post(BOB, "/v1/conversations/" + id, "{\"metadata\": {\"a\": \"b\"}}"));
        error(404, post(BOB, "/v1/conversations/" + id + "/items", "{\"items\": [{\"role\": \"user\", \"content\": \"x\"}]}"));
        assertEquals("conversation", error(404, post(BOB, "/v1/responses", "{\"conversation\": \"" + id + "\", \"input\": \"x\"}")).get("param").asText());
        error(404, get(BOB, "/v1/responses/" + resp));
        error(404, get(BOB, "/v1/responses/" + resp + "/input_items"));
        error(404, server.send("DELETE", "/v1/responses/" + resp, null, "Authorization", BOB));
        assertEquals(404, get(BOB, "/api/v1/conversations/" + id).statusCode());
        // unknown ids of one's own
        error(404, get(ALICE, "/v1/conversations/conv_nope"));
        error(404, get(ALICE, "/v1/conversations/" + id + "/items/msg_nope"));
        error(404, get(ALICE, "/v1/responses/resp_nope"));
        assertEquals(3, items(ALICE, id).size(), "nothing Bob did changed Alice's conversation");
        ok(get(ALICE, "/v1/responses/" + resp));
    }

    @Test
    void badInputIs400InOpenAisShape() throws Exception {
        String id = conversation(ALICE, "[]");
        for (String body : List.of("{\"metadata\": [1]}", "{\"metadata\": {\"n\": 5}}", "{\"items\": {}}", "{\"colour\": \"red\"}",
                "{\"items\": [{\"type\": \"function_call\", \"call_id\": \"c\", \"name\": \"f\", \"arguments\": \"{}\"}]}",
                "{\"items\": [{\"role\": \"robot\", \"content\": \"x\"}]}", "{\"items\": [{\"role\": \"user\", \"content\": 5}]}")) {
            error(400, post(ALICE, "/v1/conversations", body));
        }
        error(400, post(ALICE, "/v1/conversations/" + id, "{}"));
        error(400, post(ALICE, "/v1/conversations/" + id + "/items", "{\"items\": []}"));
        error(400, get(ALICE, "/v1/conversations/" + id + "/items?limit=0"));
        error(400, get(ALICE, "/v1/conversations/" + id + "/items?order=sideways"));
        error(400, get(ALICE, "/v1/conversations/" + id + "/items?after=msg_nope"));
        assertEquals("conversation", error(400, post(ALICE, "/v1/responses", "{\"conversation\": 5, \"input\": \"x\"}")).get("param").asText());
        error(400, post(ALICE, "/v1/responses", "{\"conversation\": {\"id\": 5}, \"input\": \"x\"}"));
        error(400, post(ALICE, "/v1/responses", "{\"conversation\": \"" + id + "\", \"previous_response_id\": \"resp_x\", \"input\": \"x\"}"));
        error(400, post(ALICE, "/v1/responses", "{\"conversation\": \"" + id + "\", \"input\": [{\"role\": \"assistant\", \"content\": \"x\"}]}"));
        error(400, post(ALICE, "/v1/responses", "{\"conversation\": \"" + id + "\", \"input\": \"x\", \"tools\": [{\"type\": \"function\", \"name\": \"f\"}]}"));
        assertEquals(0, items(ALICE, id).size(), "no refused request stored anything");
    }

    @Test
    void itemsPageAddAndDelete() throws Exception {
        StringBuilder five = new StringBuilder("[");
        for (int i = 0; i < 5; i++) {
            five.append(i == 0 ? "" : ",").append("{\"type\": \"message\", \"role\": \"").append(i % 2 == 0 ? "user" : "assistant")
                    .append("\", \"content\": [{\"type\": \"input_text\", \"text\": \"item ").append(i).append("\"}]}");
        }
        String id = conversation(ALICE, five.append("]").toString());
        JsonNode desc = ok(get(ALICE, "/v1/conversations/" + id + "/items?limit=2"));
        assertEquals("list", desc.get("object").asText());
        assertEquals("item 4", desc.get("data").get(0).get("content").get(0).get("text").asText(), "newest first by default");
        assertEquals("output_text", ok(get(ALICE, "/v1/conversations/" + id + "/items?limit=1&order=asc&after="
                + items(ALICE, id).getFirst().get("id").asText())).get("data").get(0).get("content").get(0).get("type").asText());
        List<String> seen = new ArrayList<>();
        String after = null;
        boolean more = true;
        while (more) {
            JsonNode page = ok(get(ALICE, "/v1/conversations/" + id + "/items?order=asc&limit=2" + (after == null ? "" : "&after=" + after)));
            page.get("data").forEach(i -> seen.add(i.get("content").get(0).get("text").asText()));
            assertEquals(page.get("data").get(page.get("data").size() - 1).get("id").asText(), page.get("last_id").asText());
            after = page.get("last_id").asText();
            more = page.get("has_more").asBoolean();
        }
        assertEquals(List.of("item 0", "item 1", "item 2", "item 3", "item 4"), seen);

        JsonNode added = ok(post(ALICE, "/v1/conversations/" + id + "/items", "{\"items\": [{\"role\": \"user\", \"content\": \"item 5\"}]}"));
        assertEquals(1, added.get("data").size());
        String five5 = added.get("first_id").asText();
        JsonNode item = ok(get(ALICE, "/v1/conversations/" + id + "/items/" + five5));
        assertEquals("message", item.get("type").asText());
        assertEquals("user", item.get("role").asText());
        assertEquals("completed", item.get("status").asText());
        assertEquals("item 5", item.get("content").get(0).get("text").asText());

        String second = items(ALICE, id).get(1).get("id").asText();
        JsonNode afterDelete = ok(server.send("DELETE", "/v1/conversations/" + id + "/items/" + second, null, "Authorization", ALICE));
        assertEquals("conversation", afterDelete.get("object").asText());
        error(404, get(ALICE, "/v1/conversations/" + id + "/items/" + second));
        assertEquals(5, items(ALICE, id).size());
        // a turn after a deleted item lands after the last one, not on a taken position
        respond(ALICE, "{\"id\": \"" + id + "\"}", "\"item 6\"", "");
        assertEquals(7, items(ALICE, id).size());

        JsonNode updated = ok(post(ALICE, "/v1/conversations/" + id, "{\"metadata\": {\"topic\": \"changed\"}}"));
        assertEquals("changed", updated.get("metadata").get("topic").asText());
        JsonNode deleted = ok(server.send("DELETE", "/v1/conversations/" + id, null, "Authorization", ALICE));
        assertEquals(id, deleted.get("id").asText());
        assertEquals("conversation.deleted", deleted.get("object").asText());
        assertTrue(deleted.get("deleted").asBoolean());
        error(404, get(ALICE, "/v1/conversations/" + id));
        assertEquals(404, get(ALICE, "/api/v1/conversations/" + id).statusCode(), "the thread is gone too");
    }

    @Test
    void storedResponsesRetrieveInputItemsAndDelete() throws Exception {
        String id = conversation(ALICE, "[]");
        JsonNode r = respond(ALICE, "\"" + id + "\"", "[{\"role\": \"developer\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi!\"}]", "");
        assertEquals(id, r.get("conversation").get("id").asText());
        String resp = r.get("id").asText();
        JsonNode got = ok(get(ALICE, "/v1/responses/" + resp));
        assertEquals(resp, got.get("id").asText());
        assertEquals("response", got.get("object").asText());
        assertEquals(r.get("status").asText(), got.get("status").asText());
        assertEquals(r.get("output").get(0).get("content").get(0).get("text").asText(), got.get("output").get(0).get("content").get(0).get("text").asText());
        assertEquals(r.get("usage").get("input_tokens").asInt(), got.get("usage").get("input_tokens").asInt());
        assertEquals(id, got.get("conversation").get("id").asText());
        JsonNode input = ok(get(ALICE, "/v1/responses/" + resp + "/input_items?order=asc"));
        assertEquals(2, input.get("data").size());
        assertEquals("developer", input.get("data").get(0).get("role").asText());
        assertEquals("Hi!", input.get("data").get(1).get("content").get(0).get("text").asText());
        assertEquals(3, items(ALICE, id).size(), "the input items and the reply joined the conversation");

        JsonNode deleted = ok(server.send("DELETE", "/v1/responses/" + resp, null, "Authorization", ALICE));
        assertTrue(deleted.get("deleted").asBoolean());
        error(404, get(ALICE, "/v1/responses/" + resp));
        assertEquals(3, items(ALICE, id).size(), "the conversation keeps its items");
    }

    @Test
    void storeFalseAndALeavingClientKeepNothing() throws Exception {
        String id = conversation(ALICE, "[{\"role\": \"user\", \"content\": \"Remember: blue.\"}, {\"role\": \"assistant\", \"content\": \"Blue.\"}]");
        JsonNode first = respond(ALICE, "\"" + id + "\"", "\"Colour?\"", "");
        JsonNode off = respond(ALICE, "\"" + id + "\"", "\"Off the record?\"", ", \"store\": false");
        assertFalse(off.get("store").asBoolean());
        assertTrue(off.get("usage").get("input_tokens").asInt() > first.get("usage").get("input_tokens").asInt(), "it still saw the conversation");
        error(404, get(ALICE, "/v1/responses/" + off.get("id").asText()));
        assertEquals(4, items(ALICE, id).size(), "store: false added nothing");
        LeavingClient.leaveAfterFirstPiece(server, "/v1/responses", "{\"conversation\": \"" + id + "\", \"input\": \"Talk a lot.\", \"stream\": true,"
                + " \"max_output_tokens\": 1000}", "response.output_text.delta", "Authorization", ALICE);
        server.awaitIdleSlots();
        Thread.sleep(100);
        assertEquals(4, items(ALICE, id).size(), "a client that left mid-stream stored nothing, not half");
        respond(ALICE, "\"" + id + "\"", "\"Still there?\"", "");
        assertEquals(6, items(ALICE, id).size());
    }

    /** Begun over OpenAI's conversations, continued over Parley's threads, /conversation/{id} and /api/conversation/{id}. */
    @Test
    void oneConversationAnyProtocolKeepsItsHistoryAndKv() throws Exception {
        String id = conversation(ALICE, "[]");
        JsonNode t1 = respond(ALICE, "\"" + id + "\"", "\"My favourite number is 444.\"", "");
        int prompt = t1.get("usage").get("input_tokens").asInt();

        JsonNode t2 = ok(post(ALICE, "/api/v1/conversations/" + id + "/messages", "{\"prompt\": \"And yours?\", \"stream\": false, \"max_tokens\": 4, \"temperature\": 0}"));
        prompt = covered(prompt, t2.get("usage").get("prompt_tokens").asInt(), t2.get("usage").get("cached_prompt_tokens").asInt());

        HttpResponse<String> r3 = post(ALICE, "/conversation/" + id, "{\"messages\": [{\"message\": \"Again?\", \"owner\": \"user\"}], \"max_tokens\": 4, \"temperature\": 0}");
        JsonNode t3 = ok(r3).get("data");
        assertEquals(id, t3.get("conversation_id").asText());
        assertEquals(id, r3.headers().firstValue("x-session-id").orElse(""), "the KV hint is the conversation id");
        prompt = covered(prompt, t3.get("usage").get("prompt_tokens").asInt(), t3.get("usage").get("cached_prompt_tokens").asInt());

        JsonNode t4 = ok(post(ALICE, "/api/conversation/" + id, "{\"prompt\": \"Once more?\", \"max_tokens\": 4, \"temperature\": 0}"));
        prompt = covered(prompt, t4.get("usage").get("prompt_tokens").asInt(), t4.get("usage").get("cached_prompt_tokens").asInt());

        JsonNode t5 = respond(ALICE, "\"" + id + "\"", "\"Last one?\"", "");
        covered(prompt, t5.get("usage").get("input_tokens").asInt(), t5.get("usage").get("input_tokens_details").get("cached_tokens").asInt());

        List<JsonNode> all = items(ALICE, id);
        assertEquals(10, all.size(), "every API appended to the one thread");
        assertEquals("My favourite number is 444.", all.getFirst().get("content").get(0).get("text").asText());
        assertEquals("Once more?", all.get(6).get("content").get(0).get("text").asText());
        assertEquals(10, ok(get(ALICE, "/api/v1/conversations/" + id)).get("messages").size());
        // another key naming Alice's id over /api/conversation gets a conversation of its own, not Alice's
        JsonNode bobs = ok(post(BOB, "/api/conversation/" + id, "{\"prompt\": \"Whose?\", \"max_tokens\": 2}"));
        assertTrue(bobs.get("usage").get("prompt_tokens").asInt() < prompt, "Bob's turn saw none of Alice's history");
        assertEquals(10, items(ALICE, id).size());
    }

    /** The next turn saw the whole earlier prompt (more tokens) and reused it from the KV cache. */
    private static int covered(int previousPrompt, int prompt, int cached) {
        assertTrue(prompt > previousPrompt, "the history is in the prompt: " + prompt + " vs " + previousPrompt);
        assertTrue(cached >= previousPrompt, "the KV cache covers the earlier prompt: cached " + cached + " of " + previousPrompt);
        return prompt;
    }
}
