package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * Bodies being read and parsed share a heap budget (64 bytes per body byte): a body waits briefly for
 * its share and then gets 503, and one larger than the whole budget gets 413. With a 1 MB budget a
 * body may be at most 16 KiB.
 */
class BodyBudgetTest {

    @Test
    void concurrentBodiesBeyondTheBudgetAreRefusedNotParsed() throws Exception {
        try (TestServer server = new TestServer("--slots", "1", "--body-memory-mb", "1", "--body-timeout", "30")) {
            String title = "{\"title\": \"" + "t".repeat(100) + "\", \"metadata\": {\"pad\": \"" + "p".repeat(9000) + "\"}}";
            HttpResponse<String> alone = server.post("/api/v1/conversations", title);
            assertEquals(201, alone.statusCode(), "a 9 KB body fits the budget alone: " + alone.body());

            HttpResponse<String> huge = server.post("/api/v1/conversations", "{\"title\": \"" + "t".repeat(20_000) + "\"}");
            assertEquals(413, huge.statusCode(), "a 20 KB body can never fit a 1 MB budget");
            assertTrue(Json.MAPPER.readTree(huge.body()).get("Error").get("error").get("description").asText().contains("memory"));

            // A slow upload holds its share (12,000 bytes x 64 = 750 KiB) while it is read ...
            try (RawHttp slow = new RawHttp(server.server.port())) {
                slow.send("POST /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 12000\r\n\r\n{\"title\"");
                Thread.sleep(300);
                // ... so a second 9 KB body waits for its 576 KiB, then gets 503 with Retry-After
                HttpResponse<String> second = server.post("/api/v1/conversations", title);
                assertEquals(503, second.statusCode(), second.body());
                assertEquals("1", second.headers().firstValue("retry-after").orElse(null));
            }
            // the slow upload's share comes back when its connection ends
            long until = System.currentTimeMillis() + 5000;
            int status = 0;
            while (status != 201 && System.currentTimeMillis() < until) {
                status = server.post("/api/v1/conversations", title).statusCode();
            }
            assertEquals(201, status, "the budget is free again");
        }
    }
}
