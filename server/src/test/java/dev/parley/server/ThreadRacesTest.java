package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Timing at a thread's edges: the next turn right after `done`, and a thread deleted while a turn uploads. */
class ThreadRacesTest {

    @ServerFlags({"--slots", "1"})
    private static TestServer server;

    private static String newThread() throws Exception {
        return Json.MAPPER.readTree(server.post("/api/v1/conversations", "{}").body()).get("id").asText();
    }

    @Test
    void theNextTurnRightAfterDoneIsNeverRefusedAsBusy() throws Exception {
        String path = "/api/v1/conversations/" + newThread() + "/messages";
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = server.post(path, "{\"prompt\": \"turn " + i + "\", \"max_tokens\": 1, \"stream\": " + (i % 2 == 0) + "}");
            assertEquals(200, r.statusCode(), "turn " + i + ": " + r.body());
            assertTrue(i % 2 == 1 || r.body().contains("event: done"), r.body());
        }
        assertEquals(60, Json.MAPPER.readTree(server.get(path.replace("/messages", "")).body()).get("messages").size());
    }

    @Test
    void aThreadDeletedWhileATurnUploadsIs404NotAConflict() throws Exception {
        String id = newThread();
        String body = "{\"prompt\": \"hello there\", \"max_tokens\": 2, \"stream\": false}";
        try (RawHttp upload = new RawHttp(server.server.port())) {
            upload.send("POST /api/v1/conversations/" + id + "/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 10));
            Thread.sleep(300);
            assertEquals(200, server.send("DELETE", "/api/v1/conversations/" + id, null).statusCode());
            RawHttp.Response r = upload.send(body.substring(10)).read();
            assertEquals(404, r.status(), new String(r.body()));
            assertTrue(r.json().get("Error").get("error").get("description").asText().contains("deleted"));
        }
    }
}
