package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Shutdown with streams of three dialects running and a request queued: readiness and new work are
 * refused at once, running generations end past the grace period with their dialect's error (never a
 * normal finish), the queued request gets its 503, and close returns in bounded time.
 */
class ShutdownTest {

    private static final String LONG = "\"max_tokens\": 8000, \"temperature\": 0";

    @Test
    void everyRequestGetsItsDialectsEndingAndCloseIsBounded() throws Exception {
        TestServer server = new TestServer("--slots", "3", "--ctx-size", "24576", "--max-tokens-limit", "8000", "--shutdown-grace", "1");
        boolean closed = false;
        try {
            String thread = Json.MAPPER.readTree(server.post("/api/v1/conversations", "{}").body()).get("id").asText();
            CompletableFuture<HttpResponse<String>> ndjson = async(server, "/api/v1/continue_from_raw_prompt",
                    "{\"raw_prompt\": \"Once upon a time\", " + LONG + "}");
            CompletableFuture<HttpResponse<String>> events = async(server, "/api/v1/conversations/" + thread + "/messages",
                    "{\"prompt\": \"Tell me everything.\", " + LONG + "}");
            CompletableFuture<HttpResponse<String>> openAi = async(server, "/v1/chat/completions",
                    "{\"messages\": [{\"role\": \"user\", \"content\": \"Go on.\"}], \"stream\": true, " + LONG + "}");
            awaitBusySlots(server, 3);
            CompletableFuture<HttpResponse<String>> queued = async(server, "/v1/chat/completions",
                    "{\"messages\": [{\"role\": \"user\", \"content\": \"Me too.\"}], \"max_tokens\": 5}");
            long until = System.currentTimeMillis() + 5000;
            while (server.server.engine().queueLength() == 0 && System.currentTimeMillis() < until) {
                Thread.sleep(10);
            }
            assertEquals(1, server.server.engine().queueLength(), "one request waits for a slot");

            long started = System.nanoTime();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            Thread.sleep(200); // within the grace period
            assertEquals(503, server.get("/health/ready").statusCode(), "readiness goes down at once");
            HttpResponse<String> late = server.post("/api/v1/continue_from_raw_prompt", "{\"raw_prompt\": \"hi\", \"max_tokens\": 1}");
            assertEquals(503, late.statusCode(), late.body());
            assertEquals("1", late.headers().firstValue("retry-after").orElse(null));

            closing.get(30, TimeUnit.SECONDS);
            closed = true;
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20), "close returns in bounded time");

            List<JsonNode> lines = TestServer.ndjson(ndjson.get(5, TimeUnit.SECONDS).body());
            JsonNode last = lines.getLast();
            assertTrue(last.has("Error"), "the NDJSON stream ends with an error, not Done: " + last);
            assertEquals(503, last.get("Error").get("error").get("code").asInt());
            assertFalse(lines.stream().anyMatch(l -> l.toString().contains("\"Done\"")), "no Done for a cancelled generation");

            List<SseEvents.Event> sse = SseEvents.parse(events.get(5, TimeUnit.SECONDS).body()).events();
            assertEquals("error", sse.getLast().name(), "the thread's event stream ends with an error event");
            assertEquals(503, sse.getLast().data().get("code").asInt());

            List<SseEvents.Event> chunks = SseEvents.parse(openAi.get(5, TimeUnit.SECONDS).body()).events();
            assertTrue(chunks.getLast().done(), "the OpenAI stream still ends with [DONE]");
            JsonNode error = chunks.get(chunks.size() - 2).data();
            assertEquals("shutting_down", error.get("error").get("code").asText(), error.toString());
            for (SseEvents.Event c : chunks.subList(0, chunks.size() - 2)) {
                assertTrue(c.data().path("choices").path(0).path("finish_reason").isNull(), "a cancelled generation is no stop: " + c.data());
            }

            HttpResponse<String> q = queued.get(5, TimeUnit.SECONDS);
            assertEquals(503, q.statusCode(), q.body());
            assertEquals("1", q.headers().firstValue("retry-after").orElse(null));
            assertEquals("server_error", Json.MAPPER.readTree(q.body()).get("error").get("type").asText());
        } finally {
            if (!closed) {
                server.close();
            }
        }
    }

    private static CompletableFuture<HttpResponse<String>> async(TestServer server, String path, String body) {
        return server.http.sendAsync(HttpRequest.newBuilder(server.uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitBusySlots(TestServer server, int n) throws InterruptedException {
        long until = System.currentTimeMillis() + 10_000;
        while (server.server.engine().stats().activeSlots() < n && System.currentTimeMillis() < until) {
            Thread.sleep(10);
        }
        assertEquals(n, server.server.engine().stats().activeSlots(), "the long generations run");
    }
}
