package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three Parley processes sharing one PostgreSQL behind HAProxy, which hashes the x-session-id header
 * consistently and checks /health/ready: threads continue on any replica, affinity keeps a
 * conversation's turns on one replica's KV cache, a killed replica loses no stored exchange, and
 * readiness drops while a replica drains or starts. Prints the cache-hit figures with and without
 * affinity. The steps run in order on the same processes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicasTest {

    private static final List<String> NAMES = List.of("r1", "r2", "r3");
    private static final int CONVERSATIONS = 5;
    private static final int TURNS = 4;
    // 6000 letters before the grammar can end (a grammar that can never end is refused): max_tokens ends it first
    private static final String ENDLESS = "root ::= [a-z]{2000} [a-z]{2000} [a-z]{2000}";

    private static ReplicaSet set;
    /** Session key to the replica that served it with affinity, filled by the affinity step. */
    private static final Map<String, String> home = new HashMap<>();
    private static final Map<String, List<ObjectNode>> histories = new HashMap<>();
    private static String firstThread;

    @BeforeAll
    static void start() throws Exception {
        String reason = ReplicaSet.unavailableReason();
        if (reason != null) {
            System.err.println("SKIPPING the multi-replica test: " + reason);
            Assumptions.abort("multi-replica setup unavailable: " + reason);
        }
        set = new ReplicaSet(NAMES, List.of("--slots", "8", "--ctx-size", "8192", "--threads", "1", "--threads-batch", "1",
                "--max-tokens-limit", "4000"));
        set.awaitRouterStatus("UP", NAMES, Duration.ofSeconds(90));
    }

    @AfterAll
    static void stop() throws Exception {
        if (set != null) {
            set.close();
        }
    }

    private static HttpResponse<String> send(URI uri, String method, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return set.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String replicaOf(HttpResponse<?> r) {
        return r.headers().firstValue(ParleyServer.REPLICA_HEADER).orElseThrow(() -> new AssertionError("no replica header: " + r));
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), () -> r.uri() + " answered " + r.statusCode() + ": " + r.body());
        return Json.MAPPER.readTree(r.body());
    }

    /** One turn of the stateless OpenAI dialect through the router: the client sends the whole history. */
    private record Turn(String replica, int promptTokens, int cachedTokens) {}

    private static Turn chat(String session, String conversation, String user, boolean affinity) throws Exception {
        List<ObjectNode> history = histories.computeIfAbsent(conversation, c -> new ArrayList<>(List.of(
                Json.object().put("role", "system").put("content", "You are the assistant of conversation " + c + ". "
                        + ("Remember the details of " + c + ". ").repeat(20)))));
        history.add(Json.object().put("role", "user").put("content", user));
        ObjectNode body = Json.object().put("model", "parley").put("max_tokens", 6).put("temperature", 0);
        ArrayNode messages = body.putArray("messages");
        history.forEach(messages::add);
        HttpResponse<String> r = affinity
                ? send(set.router("/v1/chat/completions"), "POST", body.toString(), "x-session-id", session)
                : send(set.router("/v1/chat/completions"), "POST", body.toString());
        JsonNode reply = json(r, 200);
        history.add(Json.object().put("role", "assistant").put("content", reply.get("choices").get(0).get("message").get("content").asText()));
        JsonNode usage = reply.get("usage");
        return new Turn(replicaOf(r), usage.get("prompt_tokens").asInt(), usage.get("prompt_tokens_details").get("cached_tokens").asInt());
    }

    /**
     * One conversation after another. Not interleaved: today's scheduler gives a new prompt the free slot
     * sharing the longest prefix with it, so a new conversation that shares only the chat template's
     * first tokens takes over an idle conversation's slot instead of an empty one, and interleaved
     * conversations on one replica evict each other whatever the router does.
     */
    private static List<List<Turn>> converse(String prefix, boolean affinity) throws Exception {
        List<List<Turn>> turns = new ArrayList<>();
        for (int c = 0; c < CONVERSATIONS; c++) {
            List<Turn> conversation = new ArrayList<>();
            for (int t = 0; t < TURNS; t++) {
                conversation.add(chat(prefix + c, prefix + c, "Question " + (t + 1) + " of " + prefix + c + "?", affinity));
            }
            turns.add(conversation);
        }
        return turns;
    }

    /** Prompt tokens of turns 2..N and how many of them came from the KV cache. */
    private record Hits(long prompt, long cached) {
        static Hits of(List<List<Turn>> turns) {
            long prompt = 0;
            long cached = 0;
            for (List<Turn> conversation : turns) {
                for (Turn t : conversation.subList(1, conversation.size())) {
                    prompt += t.promptTokens();
                    cached += t.cachedTokens();
                }
            }
            return new Hits(prompt, cached);
        }

        double ratio() {
            return (double) cached / prompt;
        }

        String describe(String label) {
            return String.format("%s: turns 2..%d of %d conversations: %d prompt tokens, %d from the KV cache (%.1f%%)",
                    label, TURNS, CONVERSATIONS, prompt, cached, 100 * ratio());
        }
    }

    @Test
    @Order(1)
    void aThreadCreatedThroughTheRouterContinuesOnAnyReplica() throws Exception {
        JsonNode thread = json(send(set.router("/api/v1/conversations"), "POST", "{\"title\": \"across replicas\"}"), 201);
        firstThread = thread.get("id").asText();
        for (String name : NAMES) {
            HttpResponse<String> r = send(set.replica(name, "/api/v1/conversations/" + firstThread + "/messages"), "POST",
                    "{\"prompt\": \"hello " + name + "\", \"stream\": false, \"max_tokens\": 4}");
            json(r, 200);
            assertEquals(name, replicaOf(r), "each turn answered by the replica it was sent to");
        }
        JsonNode stored = json(send(set.router("/api/v1/conversations/" + firstThread), "GET", null), 200);
        List<String> users = new ArrayList<>();
        for (JsonNode m : stored.get("messages")) {
            if (m.get("role").asText().equals("user")) {
                users.add(m.get("content").asText());
            }
        }
        assertEquals(2 * NAMES.size(), stored.get("messages").size(), "three exchanges, each stored once");
        assertEquals(List.of("hello r1", "hello r2", "hello r3"), users, "in order, whichever replica served each");
    }

    @Test
    @Order(2)
    void withAffinityTurnsStayOnOneReplicaAndReuseItsCache() throws Exception {
        List<List<Turn>> affine = converse("affine-", true);
        List<List<Turn>> spread = converse("spread-", false);
        for (int c = 0; c < CONVERSATIONS; c++) {
            List<Turn> turns = affine.get(c);
            String replica = turns.getFirst().replica();
            home.put("affine-" + c, replica);
            for (int t = 1; t < TURNS; t++) {
                assertEquals(replica, turns.get(t).replica(), "conversation " + c + " turn " + (t + 1) + " stays on its replica");
                assertTrue(turns.get(t).cachedTokens() > turns.getFirst().promptTokens() / 2,
                        "turn " + (t + 1) + " reuses the conversation's cached prefix: " + turns.get(t));
            }
        }
        assertTrue(spread.stream().anyMatch(turns -> turns.stream().map(Turn::replica).distinct().count() > 1),
                "without the header HAProxy spreads a conversation's turns over the replicas");
        Hits withAffinity = Hits.of(affine);
        Hits without = Hits.of(spread);
        System.out.println(withAffinity.describe("with affinity (x-session-id)"));
        System.out.println(without.describe("without affinity (round robin)"));
        assertTrue(withAffinity.ratio() > without.ratio() + 0.2, "affinity raises the cache hits: " + withAffinity + " vs " + without);
    }

    @Test
    @Order(3)
    void killingAReplicaLosesNoStoredExchangeFailsItsStreamsAndMovesOnlyItsSessions() throws Exception {
        String session = "affine-0";
        String victim = home.get(session);
        JsonNode thread = json(send(set.router("/api/v1/conversations"), "POST", "{\"title\": \"interrupted\"}", "x-session-id", session), 201);
        String id = thread.get("id").asText();
        HttpResponse<String> first = send(set.router("/api/v1/conversations/" + id + "/messages"), "POST",
                "{\"prompt\": \"first\", \"stream\": false, \"max_tokens\": 4}", "x-session-id", session);
        json(first, 200);
        assertEquals(victim, replicaOf(first));

        HttpResponse<InputStream> streaming = set.http.send(HttpRequest.newBuilder(set.router("/api/v1/conversations/" + id + "/messages"))
                .header("x-session-id", session).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"second\", \"max_tokens\": 3500, \"grammar\": " + Json.MAPPER.writeValueAsString(ENDLESS) + "}"))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, streaming.statusCode());
        assertEquals(victim, replicaOf(streaming));
        List<String> events = new ArrayList<>();
        boolean cut = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(streaming.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    events.add(line.substring(7));
                    if (events.size() == 3) {
                        set.kill(victim); // mid-stream
                    }
                }
            }
        } catch (IOException e) {
            cut = true; // the router closed the connection in the middle of the chunked body
        }
        assertTrue(events.size() >= 3, "the stream had started: " + events);
        assertFalse(events.contains("done"), "an exchange cut off by the crash never reports done");
        System.out.println("killed " + victim + " mid-stream after " + events.size() + " events; the client saw "
                + (cut ? "the connection cut" : "the stream end early") + ", without a done event");

        // New work goes to the survivors at once (a refused connection is retried elsewhere), and only
        // the dead replica's sessions move.
        for (int c = 0; c < CONVERSATIONS; c++) {
            Turn t = chat("affine-" + c, "affine-" + c, "After the crash, conversation " + c + "?", true);
            assertNotEquals(victim, t.replica());
            if (!home.get("affine-" + c).equals(victim)) {
                assertEquals(home.get("affine-" + c), t.replica(), "consistent hashing keeps the other sessions in place");
            } else {
                System.out.println("session affine-" + c + " moved from " + victim + " to " + t.replica() + ": prompt "
                        + t.promptTokens() + " tokens, " + t.cachedTokens() + " cached (its prefix was in the dead replica's KV cache)");
            }
        }
        JsonNode interrupted = json(send(set.router("/api/v1/conversations/" + id), "GET", null), 200);
        assertEquals(2, interrupted.get("messages").size(), "the finished exchange is kept, the cut one stored nothing");
        assertEquals(6, json(send(set.router("/api/v1/conversations/" + firstThread), "GET", null), 200).get("messages").size());
    }

    @Test
    @Order(4)
    void readinessDropsWhileAReplicaDrainsAndWhileItStarts() throws Exception {
        String victim = home.get("affine-0");
        String drained = NAMES.stream().filter(n -> !n.equals(victim)).findFirst().orElseThrow();
        set.awaitRouterStatus("DOWN", List.of(victim), Duration.ofSeconds(10));

        HttpResponse<InputStream> streaming = set.http.send(HttpRequest.newBuilder(set.replica(drained, "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"max_tokens\": 3500, \"stream\": true, \"grammar\": "
                        + Json.MAPPER.writeValueAsString(ENDLESS) + ", \"messages\": [{\"role\": \"user\", \"content\": \"long\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, streaming.statusCode());
        BufferedReader in = new BufferedReader(new InputStreamReader(streaming.body(), StandardCharsets.UTF_8));
        in.readLine(); // generation running
        Process p = set.terminate(drained);
        HttpResponse<String> readiness = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline && (readiness == null || readiness.statusCode() != 503)) {
            readiness = send(set.replica(drained, "/health/ready"), "GET", null);
        }
        assertEquals("draining", json(readiness, 503).get("status").asText(),
                "a draining replica answers 503 on /health/ready while its generations finish");
        set.awaitRouterStatus("DOWN", List.of(drained), Duration.ofSeconds(5));
        System.out.println(drained + " draining after SIGTERM: /health/ready 503, HAProxy marks it DOWN");
        String last = null;
        try (in) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) {
                    last = line;
                }
            }
        }
        assertEquals("data: [DONE]", last, "the running generation ends properly while the replica drains");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the drained replica exits");

        set.start(victim);
        boolean sawNotReady = false;
        boolean sawDown = false;
        long startDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < startDeadline) {
            boolean ready;
            try {
                ready = send(set.replica(victim, "/health/ready"), "GET", null).statusCode() == 200;
            } catch (IOException notListening) {
                ready = false; // it listens once the model is loaded
            }
            if (ready) {
                break;
            }
            sawNotReady = true;
            sawDown |= "DOWN".equals(set.routerStatus().get(victim));
            Thread.sleep(50);
        }
        assertTrue(sawNotReady && sawDown, "the restarted replica was not ready at first, and HAProxy held it DOWN");
        set.awaitRouterStatus("UP", List.of(victim), Duration.ofSeconds(10));
        Turn back = chat("affine-0", "affine-0", "Back home?", true);
        assertEquals(victim, back.replica(), "its sessions return to it once it is ready");
        System.out.println("session affine-0 back on restarted " + victim + ": prompt " + back.promptTokens() + " tokens, "
                + back.cachedTokens() + " cached (a new process starts with an empty KV cache)");
    }
}
