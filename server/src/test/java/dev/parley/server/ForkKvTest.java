package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * A fork's first turn reuses its parent's KV on a fresh server with two slots: there the parent's slot
 * is held for the parent and the other one is free, so the fork's turn (keyed by the fork's own id) is
 * given the free slot and must still find the parent's history by prefix.
 */
class ForkKvTest {

    private static final String BASE = "/api/v1/conversations";
    // its own: the test needs a slot that no other class's conversation holds
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "4096"}, isolated = true)
    private static TestServer server;

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    private static JsonNode say(String id, String prompt) throws Exception {
        HttpResponse<String> r = server.post(BASE + "/" + id + "/messages",
                "{\"prompt\": \"" + prompt + "\", \"stream\": false, \"max_tokens\": 6, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    @Test
    void aForksFirstTurnReusesTheParentsHistoryWhileAnotherSlotIsFree() throws Exception {
        HttpResponse<String> created = server.post(BASE, "{\"system_prompt\": \"Be brief and talk about travel, ferries and harbours.\"}");
        assertEquals(201, created.statusCode(), created.body());
        String parent = json(created).get("id").asText();
        JsonNode t1 = say(parent, "Tell me about the ferries that leave the old harbour every morning.");
        JsonNode t2 = say(parent, "And about trains?");
        String firstAnswer = json(server.get(BASE + "/" + parent)).get("messages").get(1).get("id").asText();

        HttpResponse<String> forked = server.post(BASE + "/" + parent + "/fork", "{\"at_message_id\": \"" + firstAnswer + "\"}");
        assertEquals(201, forked.statusCode(), forked.body());
        JsonNode turn = say(json(forked).get("id").asText(), "And about planes?");
        int sharedHistory = t1.get("usage").get("prompt_tokens").asInt() + t1.get("usage").get("completion_tokens").asInt();
        assertTrue(turn.get("usage").get("cached_prompt_tokens").asInt() >= sharedHistory,
                "the shared history (" + sharedHistory + " tokens) came from cache: " + turn);

        // the parent kept its slot: its next turn reuses its own history past the fork point too
        JsonNode t3 = say(parent, "And about buses?");
        assertTrue(t3.get("usage").get("cached_prompt_tokens").asInt() >= t2.get("usage").get("prompt_tokens").asInt(),
                "the parent's own history came from cache: " + t3);
    }
}
