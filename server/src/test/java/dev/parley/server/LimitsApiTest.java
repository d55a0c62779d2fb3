package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A one-slot server with a one-place queue: 503 when the queue is full, 504 when the wait is too long. */
class LimitsApiTest {

    private static final String HISTORY = "/api/v1/continue_from_conversation_history";
    /** The one AnthropicApiTest sends an oversized body to, too. */
    @ServerFlags({"--slots", "1", "--max-body-size", "2048"})
    private static TestServer small;

    private static String body(int maxTokens) {
        return "{\"max_tokens\": " + maxTokens + ", \"temperature\": 0, \"conversation_history\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    }

    @Test
    void aFullQueueIs503WithRetryAfterAndALongWaitIs504() throws Exception {
        try (TestServer server = new TestServer("--slots", "1", "--ctx-size", "2048", "--queue-size", "1", "--queue-timeout", "1")) {
            HttpRequest busyRequest = HttpRequest.newBuilder(server.uri(HISTORY)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body(1500))).build();
            HttpResponse<InputStream> busy = server.http.send(busyRequest, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, busy.statusCode());
            busy.body().read(); // streaming: the only slot is taken
            CompletableFuture<HttpResponse<String>> waiting = server.http.sendAsync(
                    HttpRequest.newBuilder(server.uri(HISTORY)).header("X-Request-Id", "waiter").header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body(2))).build(),
                    HttpResponse.BodyHandlers.ofString());
            // give the waiter time to be queued before the third arrives
            long until = System.currentTimeMillis() + 5000;
            while (server.server.engine().queueLength() == 0 && System.currentTimeMillis() < until) {
                Thread.sleep(10);
            }
            HttpResponse<String> full = server.post(HISTORY, body(2), "X-Request-Id", "third");
            assertEquals(503, full.statusCode(), full.body());
            assertEquals("1", full.headers().firstValue("retry-after").orElse(""));
            JsonNode e503 = Json.MAPPER.readTree(full.body()).get("Error");
            assertEquals("third", e503.get("request_id").asText());
            assertEquals(503, e503.get("error").get("code").asInt());

            HttpResponse<String> timedOut = waiting.get();
            assertEquals(504, timedOut.statusCode(), timedOut.body());
            JsonNode e504 = Json.MAPPER.readTree(timedOut.body()).get("Error");
            assertEquals("waiter", e504.get("request_id").asText());
            assertEquals(504, e504.get("error").get("code").asInt());
            busy.body().close();
        }
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        String big = "{\"max_tokens\": 2, \"conversation_history\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(4000) + "\"}]}";
        HttpResponse<String> r = small.post(HISTORY, big);
        assertEquals(413, r.statusCode(), r.body());
        assertTrue(Json.MAPPER.readTree(r.body()).get("Error").get("error").get("description").asText().contains("2048"));

        // a body streamed without a length: refused at the limit, and the rest is not read (the connection closes)
        try (RawHttp c = new RawHttp(small.server.port())) {
            c.send("POST " + HISTORY + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = ("100000\r\n" + "x".repeat(1 << 20) + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            var sent = new java.util.concurrent.atomic.AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 512; i++) {
                        c.socket.getOutputStream().write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                } catch (java.io.IOException e) {
                    // closed by the server: expected
                }
            });
            assertEquals(413, c.read().status());
            writer.join(30_000);
            assertTrue(sent.get() < 256L << 20, (sent.get() >> 20) + " MiB of 512 went out before the server closed");
        }
    }
}
