package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * API keys: required on /api/ and /v1/, /health open, each key sees only its own threads, and the views
 * that describe requests and caches (slots, metrics, the log) show a caller only what is its own.
 */
class AuthTest {

    private static final String ALICE = "alice-secret-key-1";
    private static final String BOB = "bob-secret-key-22";
    @ServerFlags(value = {"--slots", "1"}, keys = "# owners and keys\nalice:" + ALICE + "\nbob:" + BOB + "\n")
    private static TestServer server;

    private static String bearer(String key) {
        return "Bearer " + key;
    }

    @Test
    void withoutAValidKeyItIs401InTheRoutesErrorShape() throws Exception {
        HttpResponse<String> none = server.post("/api/v1/continue_from_conversation_history",
                "{\"conversation_history\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "X-Request-Id", "r1");
        assertEquals(401, none.statusCode());
        JsonNode e = Json.MAPPER.readTree(none.body()).get("Error");
        assertEquals("r1", e.get("request_id").asText());
        assertEquals(401, e.get("error").get("code").asInt());
        HttpResponse<String> wrong = server.get("/api/v1/conversations", "Authorization", bearer("not-a-real-key"));
        assertEquals(401, wrong.statusCode());
        HttpResponse<String> openAi = server.get("/v1/models", "x-api-key", "nope-nope-nope");
        assertEquals(401, openAi.statusCode());
        assertEquals("invalid_api_key", Json.MAPPER.readTree(openAi.body()).get("error").get("code").asText());
        assertEquals("authentication_error", Json.MAPPER.readTree(openAi.body()).get("error").get("type").asText());
        assertTrue(openAi.headers().firstValue("x-request-id").isPresent(), "refusals carry the request id too");
        for (String explorer : List.of("/openapi.json", "/docs", "/docs/swagger-ui-bundle.js")) {
            HttpResponse<String> refused = server.get(explorer);
            assertEquals(401, refused.statusCode(), explorer + " needs a key like every API route");
            assertEquals(401, Json.MAPPER.readTree(refused.body()).get("Error").get("error").get("code").asInt());
            assertEquals(200, server.get(explorer, "Authorization", bearer(ALICE)).statusCode(), explorer + " with a key");
        }
        assertEquals(200, server.get("/health").statusCode(), "health stays open");
        assertEquals(200, server.get("/metrics").statusCode(), "metrics open unless --metrics-require-key");
        assertEquals(200, server.get("/v1/models", "x-api-key", ALICE).statusCode(), "x-api-key works too");
    }

    @Test
    void anotherKeyCannotListReadContinueOrDeleteAThread() throws Exception {
        HttpResponse<String> created = server.send("POST", "/api/v1/conversations", "{\"title\": \"alice's\"}", "Authorization", bearer(ALICE));
        assertEquals(201, created.statusCode());
        String id = Json.MAPPER.readTree(created.body()).get("id").asText();
        String path = "/api/v1/conversations/" + id;

        JsonNode bobsList = Json.MAPPER.readTree(server.get("/api/v1/conversations", "Authorization", bearer(BOB)).body());
        for (JsonNode c : bobsList.get("data")) {
            assertTrue(!c.get("id").asText().equals(id), "bob never sees alice's thread in lists");
        }
        assertEquals(404, server.get(path, "Authorization", bearer(BOB)).statusCode());
        assertEquals(404, server.send("POST", path + "/messages", "{\"prompt\": \"hi\", \"stream\": false}", "Authorization", bearer(BOB)).statusCode());
        assertEquals(404, server.send("PATCH", path, "{\"title\": \"mine now\"}", "Authorization", bearer(BOB)).statusCode());
        assertEquals(404, server.send("DELETE", path, null, "Authorization", bearer(BOB)).statusCode());
        HttpResponse<String> turn = server.send("POST", path + "/messages", "{\"prompt\": \"hi\", \"stream\": false, \"max_tokens\": 2}",
                "Authorization", bearer(ALICE));
        assertEquals(200, turn.statusCode(), turn.body());
        String alicesMessage = Json.MAPPER.readTree(turn.body()).get("message_id").asText();
        assertEquals(404, server.send("POST", path + "/fork", "{\"at_message_id\": \"" + alicesMessage + "\"}", "Authorization", bearer(BOB))
                .statusCode(), "bob cannot fork alice's thread");
        JsonNode bobsSearch = Json.MAPPER.readTree(server.get("/api/v1/conversations?q=alice", "Authorization", bearer(BOB)).body());
        assertEquals(0, bobsSearch.get("data").size(), "bob's search never finds alice's threads: " + bobsSearch);
        JsonNode alicesSearch = Json.MAPPER.readTree(server.get("/api/v1/conversations?q=alice", "Authorization", bearer(ALICE)).body());
        assertTrue(alicesSearch.get("data").size() > 0, "alice's does: " + alicesSearch);

        JsonNode alicesView = Json.MAPPER.readTree(server.get(path, "Authorization", bearer(ALICE)).body());
        assertEquals("alice's", alicesView.get("title").asText(), "untouched by bob's attempts");
        JsonNode alicesList = Json.MAPPER.readTree(server.get("/api/v1/conversations", "Authorization", bearer(ALICE)).body());
        assertTrue(alicesList.get("data").toString().contains(id));
    }

    @Test
    void theStatelessEndpointSpeaksServerSentEventsWhenAsked() throws Exception {
        HttpResponse<String> r = server.send("POST", "/api/v1/continue_from_conversation_history",
                "{\"max_tokens\": 3, \"temperature\": 0, \"conversation_history\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "Authorization", bearer(ALICE), "Accept", "text/event-stream");
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
        String body = r.body();
        assertTrue(body.startsWith("event: "), body);
        assertTrue(body.contains("event: done\ndata: "), body);
        String doneData = body.substring(body.indexOf("event: done\ndata: ") + 18).split("\n")[0];
        JsonNode done = Json.MAPPER.readTree(doneData);
        assertEquals("length", done.get("finish_reason").asText());
        assertEquals(3, done.get("usage").get("completion_tokens").asInt());
        assertTrue(done.get("message_id").isNull(), "stateless: nothing stored");
    }

    @Test
    void theSlotTableShowsACallerOnlyItsOwnRequestIds() throws Exception {
        java.net.http.HttpRequest long_ = java.net.http.HttpRequest.newBuilder(server.uri("/api/v1/continue_from_raw_prompt"))
                .header("Content-Type", "application/json").header("Authorization", bearer(ALICE)).header("X-Request-Id", "alices-request")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"raw_prompt\": \"Once upon a time\", \"max_tokens\": 1500}")).build();
        HttpResponse<java.io.InputStream> running = server.http.send(long_, HttpResponse.BodyHandlers.ofInputStream());
        try {
            assertEquals(200, running.statusCode());
            running.body().read(); // generating now
            JsonNode asAlice = Json.MAPPER.readTree(server.get("/api/v1/slots", "Authorization", bearer(ALICE)).body());
            JsonNode asBob = Json.MAPPER.readTree(server.get("/api/v1/slots", "Authorization", bearer(BOB)).body());
            assertEquals("alices-request", asAlice.get("slots").get(0).get("request_id").asText());
            assertTrue(asBob.get("slots").get(0).get("request_id").isNull(), "bob does not see alice's request id");
            assertEquals("generating", asBob.get("slots").get(0).get("state").asText(), "but sees that the slot is busy");
        } finally {
            running.body().close();
            server.awaitIdleSlots();
        }
    }

    @Test
    void theSlotTableShowsAConversationKeyOnlyToItsOwner() throws Exception {
        String session = "alices-private-session-7";
        HttpResponse<String> turn = server.send("POST", "/v1/chat/completions", "{\"max_tokens\": 2, \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"hi\"}]}", "Authorization", bearer(ALICE), "X-Session-Id", session);
        assertEquals(200, turn.statusCode(), turn.body());
        server.awaitIdleSlots(); // the slot keeps the conversation after the turn, for its next one

        JsonNode asAlice = Json.MAPPER.readTree(server.get("/api/v1/slots", "Authorization", bearer(ALICE)).body());
        assertEquals(session, asAlice.get("slots").get(0).get("conversation").asText(), "alice sees her own conversation key");
        JsonNode asBob = Json.MAPPER.readTree(server.get("/api/v1/slots", "Authorization", bearer(BOB)).body());
        JsonNode bobsSlot = asBob.get("slots").get(0);
        assertTrue(bobsSlot.get("conversation").isNull(), "bob does not see alice's conversation key: " + asBob);
        assertTrue(bobsSlot.get("request_id").isNull());
        assertEquals(asAlice.get("slots").get(0).get("tokens_cached"), bobsSlot.get("tokens_cached"), "only state and counts");
        assertFalse(server.get("/metrics").body().contains(session), "no metric label carries a conversation key");
    }

    @Test
    void theLogNamesARoutesPatternNotTheThreadInItsPath() throws Exception {
        String id = Json.MAPPER.readTree(server.send("POST", "/api/v1/conversations", "{}", "Authorization", bearer(ALICE)).body()).get("id").asText();
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger("parley.api");
        Level before = log.getLevel();
        log.setLevel(Level.INFO); // the tests' logging configuration shows warnings only
        log.addHandler(capture);
        try {
            HttpResponse<String> turn = server.send("POST", "/api/v1/conversations/" + id + "/messages", "{\"prompt\": \"hi\", \"max_tokens\": 2, "
                    + "\"stream\": false}", "Authorization", bearer(ALICE));
            assertEquals(200, turn.statusCode(), turn.body());
        } finally {
            log.removeHandler(capture);
            log.setLevel(before);
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("/api/v1/conversations/{id}/messages")), lines.toString());
        assertTrue(lines.stream().noneMatch(l -> l.contains(id)), "no INFO line carries the thread's id: " + lines);
    }

    @Test
    void anotherOwnersDeleteOfABusyThreadIs404NotABusyOracle() throws Exception {
        String id = Json.MAPPER.readTree(server.send("POST", "/api/v1/conversations", "{}", "Authorization", bearer(ALICE)).body()).get("id").asText();
        java.net.http.HttpRequest turn = java.net.http.HttpRequest.newBuilder(server.uri("/api/v1/conversations/" + id + "/messages"))
                .header("Content-Type", "application/json").header("Authorization", bearer(ALICE))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Talk a lot.\", \"max_tokens\": 1500}")).build();
        HttpResponse<java.io.InputStream> running = server.http.send(turn, HttpResponse.BodyHandlers.ofInputStream());
        try {
            assertEquals(200, running.statusCode());
            running.body().read(); // the turn is streaming: the thread is busy
            assertEquals(404, server.send("DELETE", "/api/v1/conversations/" + id, null, "Authorization", bearer(BOB)).statusCode());
            assertEquals(409, server.send("DELETE", "/api/v1/conversations/" + id, null, "Authorization", bearer(ALICE)).statusCode(),
                    "the owner still learns that it is busy");
        } finally {
            running.body().close();
            server.awaitIdleSlots();
        }
    }
}
