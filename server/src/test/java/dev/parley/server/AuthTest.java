package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** API keys: required on /api/ and /v1/, /health open, and each key sees only its own threads. */
class AuthTest {

    private static final String ALICE = "alice-secret-key-1";
    private static final String BOB = "bob-secret-key-22";
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        Path keys = Files.writeString(Files.createTempFile("keys", ".txt"), "# owners and keys\nalice:" + ALICE + "\nbob:" + BOB + "\n");
        server = new TestServer("--slots", "1", "--api-keys-file", keys.toString());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

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
}
