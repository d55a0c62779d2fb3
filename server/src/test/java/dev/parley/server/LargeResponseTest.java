package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * Responses of several megabytes arrive whole even to a client with a small receive window (the case
 * in which Helidon 4.4.0's NIO socket dropped the unwritten rest of a partial write and left the client
 * waiting forever).
 */
class LargeResponseTest {

    @ServerFlags({"--slots", "1"})
    private static TestServer server;

    @Test
    void aSixMegabyteListArrivesWholeToASlowReader() throws Exception {
        String prompt = "p".repeat(60_000);
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> created = server.post("/api/v1/conversations", "{\"system_prompt\": \"" + prompt + "\"}");
            assertEquals(201, created.statusCode(), created.body());
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            try (RawHttp http = new RawHttp(server.server.port(), 8192)) {
                RawHttp.Response r = http.send("GET /api/v1/conversations?limit=100 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").read();
                assertEquals(200, r.status());
                JsonNode page = Json.MAPPER.readTree(r.body());
                assertEquals(100, page.get("data").size(), "the whole page arrived and parses");
                assertEquals(prompt, page.get("data").get(99).get("system_prompt").asText());
            }
        }
    }
}
