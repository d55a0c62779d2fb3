package dev.parley.server;

import static dev.parley.server.ConversationByIdTest.keys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The conversation-threads API: /conversation/new, /conversations, /conversation/{id}, credentials in apiKey and secret. */
class MessageThreadsTest {

    private static final String[] ALICE = {"apiKey", "alice", "secret", "alice-secret-key-1"};
    private static final String[] BOB = {"apiKey", "bob", "secret", "bob-secret-key-22"};
    private static final Set<String> REPLY = Set.of("conversation_id", "id", "message", "messagetype", "owner", "thinking", "finish_reason", "usage");
    private static final Set<String> THREAD = Set.of("id", "title", "created_at", "updated_at", "message_count");
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "4096"}, keys = "alice:alice-secret-key-1\nbob:bob-secret-key-22\n")
    private static TestServer server;

    private static HttpResponse<String> send(String method, String path, String body, String[] who) throws Exception {
        return server.send(method, path, body, who);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void aSavedConversationLivesThroughNewListReadContinueAndDelete() throws Exception {
        HttpResponse<String> created = send("POST", "/conversation/new", "{\"title\": \"Testing you\", \"inlanguage\": \"hausa\", "
                + "\"outputlanguage\": \"english\", \"responsetype\": \"text\", \"agentId\": \"\", \"stream\": false, \"save\": 1, "
                + "\"message\": \"Hello Bro\", \"messagetype\": \"text\", \"max_tokens\": 3, \"temperature\": 0}", ALICE);
        assertEquals(200, created.statusCode(), created.body());
        JsonNode body = json(created);
        assertEquals(Set.of("data"), keys(body));
        JsonNode reply = body.get("data");
        assertEquals(REPLY, keys(reply));
        assertEquals("machine", reply.get("owner").asText());
        assertEquals("text", reply.get("messagetype").asText());
        assertEquals("length", reply.get("finish_reason").asText());
        assertEquals(3, reply.get("usage").get("completion_tokens").asInt());
        String id = reply.get("conversation_id").asText();

        JsonNode list = json(send("GET", "/conversations", null, ALICE));
        assertEquals(Set.of("data"), keys(list));
        JsonNode listed = null;
        for (JsonNode t : list.get("data")) {
            assertEquals(THREAD, keys(t));
            listed = t.get("id").asText().equals(id) ? t : listed;
        }
        assertEquals("Testing you", listed.get("title").asText());
        assertEquals(2, listed.get("message_count").asInt());

        HttpResponse<String> next = send("POST", "/conversation/" + id, "{\"stream\": false, \"max_tokens\": 3, \"temperature\": 0, "
                + "\"responsetype\": \"text\", \"messages\": [{\"message\": \"And now?\", \"messagetype\": \"text\", \"owner\": \"user\"}, "
                + "{\"message\": \"Your name is Bami.\", \"owner\": \"machine\", \"topic\": \"instruction\"}]}", ALICE);
        assertEquals(200, next.statusCode(), next.body());
        JsonNode second = json(next).get("data");
        assertEquals(id, second.get("conversation_id").asText());

        HttpResponse<String> read = send("GET", "/conversation/" + id, null, ALICE);
        assertEquals(200, read.statusCode());
        JsonNode thread = json(read).get("data");
        Set<String> withMessages = new java.util.TreeSet<>(THREAD);
        withMessages.add("messages");
        assertEquals(withMessages, keys(thread));
        JsonNode messages = thread.get("messages");
        assertEquals(4, messages.size(), "two exchanges; the instruction is not stored");
        for (JsonNode m : messages) {
            assertEquals(Set.of("id", "message", "messagetype", "owner", "thinking", "created_at"), keys(m));
        }
        assertEquals(List.of("machine", "user", "machine", "user"), List.of(messages.get(0).get("owner").asText(),
                messages.get(1).get("owner").asText(), messages.get(2).get("owner").asText(), messages.get(3).get("owner").asText()), "newest first");
        assertEquals(second.get("message").asText(), messages.get(0).get("message").asText());
        assertEquals(second.get("id").asText(), messages.get(0).get("id").asText());
        assertEquals("And now?", messages.get(1).get("message").asText());
        assertEquals("Hello Bro", messages.get(3).get("message").asText());

        HttpResponse<String> deleted = send("DELETE", "/conversation/" + id, null, ALICE);
        assertEquals(200, deleted.statusCode());
        assertEquals(Json.MAPPER.readTree("{\"status\": \"success\"}"), json(deleted));
        HttpResponse<String> gone = send("GET", "/conversation/" + id, null, ALICE);
        assertEquals(404, gone.statusCode());
        assertEquals(Set.of("status", "code", "message"), keys(json(gone)));
        assertEquals("error", json(gone).get("status").asText());
        assertEquals(404, json(gone).get("code").asInt());
    }

    @Test
    void unsavedByDefaultAndAnEmptySavedThreadOnRequest() throws Exception {
        int before = json(send("GET", "/conversations", null, ALICE)).get("data").size();
        HttpResponse<String> r = send("POST", "/conversation/new", "{\"message\": \"Just once\", \"max_tokens\": 2}", ALICE);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode reply = json(r).get("data");
        assertEquals(REPLY, keys(reply));
        assertTrue(reply.get("conversation_id").isNull() && reply.get("id").isNull(), "nothing saved: " + reply);
        assertEquals(before, json(send("GET", "/conversations", null, ALICE)).get("data").size());

        HttpResponse<String> empty = send("POST", "/conversation/new", "{\"title\": \"later\", \"save\": true}", ALICE);
        assertEquals(201, empty.statusCode(), empty.body());
        assertEquals(THREAD, keys(json(empty).get("data")));
        assertEquals(0, json(empty).get("data").get("message_count").asInt());
        assertEquals(400, send("POST", "/conversation/new", "{\"title\": \"nothing to do\"}", ALICE).statusCode());
    }

    @Test
    void streamingSendsMachineDeltasThenTheWholeReply() throws Exception {
        String id = json(send("POST", "/conversation/new", "{\"save\": true}", ALICE)).get("data").get("id").asText();
        HttpResponse<String> r = send("POST", "/conversation/" + id, "{\"stream\": true, \"max_tokens\": 4, \"temperature\": 0, "
                + "\"messages\": [{\"message\": \"Stream it\", \"owner\": \"user\"}]}", ALICE);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> events = new ArrayList<>();
        for (String e : r.body().split("\n\n")) {
            if (!e.isBlank()) {
                events.add(Json.MAPPER.readTree(e.substring("data: ".length())));
            }
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode delta : events.subList(0, events.size() - 1)) {
            assertEquals(Set.of("owner", "messagetype", "message"), keys(delta));
            if (delta.get("messagetype").asText().equals("text")) {
                text.append(delta.get("message").asText());
            }
        }
        JsonNode last = events.getLast();
        assertEquals(Set.of("status", "data"), keys(last));
        assertEquals("success", last.get("status").asText());
        assertEquals(REPLY, keys(last.get("data")));
        assertEquals(text.toString(), last.get("data").get("message").asText());
        assertEquals(id, last.get("data").get("conversation_id").asText());
    }

    @Test
    void aClientThatLeavesMidStreamCancelsAndStoresNothing() throws Exception {
        String id = json(send("POST", "/conversation/new", "{\"save\": true}", ALICE)).get("data").get("id").asText();
        double before = server.cancelledRequests();
        LeavingClient.leaveAfterFirstPiece(server, "/conversation/" + id, "{\"stream\": true, \"max_tokens\": 3000, "
                + "\"messages\": [{\"message\": \"A long story.\", \"owner\": \"user\"}]}", "\"owner\":\"machine\"", ALICE);
        server.awaitIdleSlots();
        assertEquals(before + 1, server.cancelledRequests());
        assertEquals(0, json(send("GET", "/conversation/" + id, null, ALICE)).get("data").get("messages").size(), "the thread is as before");
    }

    @Test
    void credentialsAreApiKeyAndSecretAndEachOwnerSeesOnlyItsThreads() throws Exception {
        assertEquals(401, server.get("/conversations").statusCode());
        HttpResponse<String> wrongOwner = server.get("/conversations", "apiKey", "bob", "secret", "alice-secret-key-1");
        assertEquals(401, wrongOwner.statusCode(), "a key presented under another owner's name");
        assertEquals(Set.of("status", "code", "message"), keys(json(wrongOwner)));
        assertEquals(401, server.get("/conversations", "secret", "alice-secret-key-1").statusCode(), "a secret without its owner");
        assertEquals(200, server.get("/conversations", "Authorization", "Bearer alice-secret-key-1").statusCode(), "Parley's header works too");

        String id = json(send("POST", "/conversation/new", "{\"save\": true, \"title\": \"alice only\"}", ALICE)).get("data").get("id").asText();
        assertEquals(404, send("GET", "/conversation/" + id, null, BOB).statusCode());
        assertEquals(404, send("POST", "/conversation/" + id, "{\"messages\": [{\"message\": \"hi\", \"owner\": \"user\"}]}", BOB).statusCode());
        assertEquals(404, send("DELETE", "/conversation/" + id, null, BOB).statusCode());
        for (JsonNode t : json(send("GET", "/conversations", null, BOB)).get("data")) {
            assertFalse(t.get("id").asText().equals(id));
        }
        assertEquals(200, send("GET", "/conversation/" + id, null, ALICE).statusCode());
    }

    @Test
    void badInputIsA400InTheApisErrorShape() throws Exception {
        String id = json(send("POST", "/conversation/new", "{\"save\": true}", ALICE)).get("data").get("id").asText();
        for (String body : List.of("{}", "{\"messages\": []}", "{\"messages\": [{\"message\": \"hi\", \"owner\": \"machine\"}]}",
                "{\"messages\": [{\"message\": \"hi\", \"owner\": \"robot\"}]}", "{\"messages\": [{\"owner\": \"user\"}]}",
                "{\"messages\": [{\"message\": \"https://x/y.mp3\", \"messagetype\": \"voice\", \"owner\": \"user\"}]}",
                "{\"messages\": [{\"message\": \"hi\", \"owner\": \"user\", \"colour\": 1}]}",
                "{\"messages\": [{\"message\": \"hi\", \"owner\": \"user\"}], \"max_tokens\": -1}",
                "{\"messages\": [{\"message\": \"hi\", \"owner\": \"user\"}], \"id\": \"conv_other\"}")) {
            HttpResponse<String> r = send("POST", "/conversation/" + id, body, ALICE);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            JsonNode e = json(r);
            assertEquals(Set.of("status", "code", "message"), keys(e), body);
            assertEquals(400, e.get("code").asInt());
        }
        assertEquals(400, send("POST", "/conversation/new", "{\"message\": \"hi\", \"save\": 2}", ALICE).statusCode());
        assertEquals(400, send("POST", "/conversation/new", "{\"save\": true, \"title\": \"" + "t".repeat(513) + "\"}", ALICE).statusCode(),
                "titles are bounded as on Parley's threads");
        assertEquals(0, json(send("GET", "/conversation/" + id, null, ALICE)).get("data").get("messages").size(), "nothing stored");
    }
}
