package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two servers in one process sharing a directory as their shared KV tier (what replicas on a
 * ReadWriteMany volume do): a conversation answered by one continues on the other, which has never
 * seen it, with its history counted as cached; another owner's identical prompt finds nothing; a
 * server whose Redis is not there serves every request and says the tier is down.
 */
class SharedKvTierApiTest {

    private static final String ALICE = "alice-shared-key-1";
    private static final String BOB = "bob-shared-key-22";
    private static TestServer first;
    private static TestServer second;
    private static Path keys;

    @BeforeAll
    static void start() throws Exception {
        keys = Files.writeString(Files.createTempFile("keys", ".txt"), "alice:" + ALICE + "\nbob:" + BOB + "\n");
        Path shared = Files.createTempDirectory("parley-kv-shared");
        first = server("--kv-shared", "file://" + shared);
        second = server("--kv-shared", "file://" + shared);
    }

    private static TestServer server(String... flags) {
        List<String> args = new java.util.ArrayList<>(List.of("--slots", "2", "--ctx-size", "4096", "--kv-ram-budget", "64MiB", "--no-kv-disk",
                "--api-keys-file", keys.toString()));
        args.addAll(List.of(flags));
        return new TestServer(args.toArray(String[]::new));
    }

    @AfterAll
    static void stop() {
        for (TestServer s : new TestServer[] {first, second}) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static String longText(String topic) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            b.append("Sentence ").append(i).append(" about ").append(topic).append(". ");
        }
        return b.toString();
    }

    private static JsonNode chat(TestServer s, String key, String... turns) throws IOException, InterruptedException {
        ObjectNode body = Json.object().put("model", "tiny").put("max_tokens", 4).put("temperature", 0);
        ArrayNode messages = body.putArray("messages");
        for (int i = 0; i < turns.length; i++) {
            messages.addObject().put("role", i % 2 == 0 ? "user" : "assistant").put("content", turns[i]);
        }
        HttpResponse<String> r = s.post("/v1/chat/completions", body.toString(), "Authorization", "Bearer " + key);
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    private static int cached(JsonNode completion) {
        return completion.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt(-1);
    }

    private static JsonNode health(TestServer s) throws IOException, InterruptedException {
        HttpResponse<String> r = s.get("/health");
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    /** Writes, failed writes and dropped states: every turn handed to the shared tier ends in one. */
    private static long writesEnded(TestServer s) throws IOException, InterruptedException {
        JsonNode h = health(s).path("kv_shared");
        return h.path("writes").asLong() + h.path("write_failures").asLong() + h.path("dropped").asLong();
    }

    /**
     * Waits until the writer has ended one more turn than {@code before}. A turn's state is copied
     * and queued after its answer is sent, so the writer's queue may still be empty when the client
     * has the answer; its counters are what say the turn was written.
     */
    private static void awaitOneMoreWrite(TestServer s, long before) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (writesEnded(s) <= before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        s.server.engine().awaitKvSharedWrites();
    }

    @Test
    void aConversationContinuesOnAServerThatNeverSawIt() throws Exception {
        String question = longText("tidal pools");
        long writesBefore = health(first).path("kv_shared").path("writes").asLong();
        long endedBefore = writesEnded(first);
        JsonNode turn1 = chat(first, ALICE, question);
        int history = turn1.path("usage").path("prompt_tokens").asInt();
        String reply = turn1.path("choices").path(0).path("message").path("content").asText();
        awaitOneMoreWrite(first, endedBefore);
        assertTrue(health(first).path("kv_shared").path("writes").asLong() > writesBefore, "the turn was written: " + health(first));

        long hitsBefore = health(second).path("kv_shared").path("hits").asLong();
        JsonNode turn2 = chat(second, ALICE, question, reply, "Tell me more.");
        assertTrue(cached(turn2) >= history - 2, "the second server reuses the history (" + history + " tokens): cached " + cached(turn2));
        JsonNode h = health(second).path("kv_shared");
        assertEquals("file", h.path("backend").asText());
        assertTrue(h.path("up").asBoolean());
        assertEquals(hitsBefore + 1, h.path("hits").asLong(), h.toString());
        PrometheusText metrics = PrometheusText.parse(second.get("/metrics", "Authorization", "Bearer " + ALICE).body());
        assertEquals(1.0, metrics.single("parley_kv_shared_up"));
        assertTrue(metrics.named("parley_kv_lookups_total").stream()
                .anyMatch(x -> "shared".equals(x.labels().get("source")) && x.value() >= 1), "the restore is counted as shared");
    }

    @Test
    void anotherOwnersIdenticalPromptFindsNothing() throws Exception {
        String question = longText("a private matter");
        long endedBefore = writesEnded(first);
        JsonNode turn1 = chat(first, ALICE, question);
        String reply = turn1.path("choices").path(0).path("message").path("content").asText();
        awaitOneMoreWrite(first, endedBefore);
        long missesBefore = health(second).path("kv_shared").path("misses").asLong();
        JsonNode bobs = chat(second, BOB, question, reply, "Tell me more.");
        assertEquals(0, cached(bobs), "bob's identical conversation gets nothing of alice's");
        assertEquals(missesBefore + 1, health(second).path("kv_shared").path("misses").asLong(), "the shared tier was asked and missed");
    }

    @Test
    void aRedisThatIsNotThereFailsNoRequest() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (TestServer lonely = server("--kv-shared", "redis://127.0.0.1:" + port + "/0")) {
            String question = longText("an absent store");
            JsonNode turn1 = chat(lonely, ALICE, question);
            String reply = turn1.path("choices").path(0).path("message").path("content").asText();
            chat(lonely, ALICE, question, reply, "Again?");
            JsonNode h = health(lonely).path("kv_shared");
            assertEquals("redis", h.path("backend").asText());
            assertFalse(h.path("up").asBoolean(), "it says the store is down: " + h);
            PrometheusText metrics = PrometheusText.parse(lonely.get("/metrics", "Authorization", "Bearer " + ALICE).body());
            assertEquals(0.0, metrics.single("parley_kv_shared_up"));
        }
    }
}
