package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the one exchange core does for every dialect: the conversation key, and cancelling when the client leaves. */
class ExchangeTest {

    @ServerFlags({"--slots", "1", "--ctx-size", "16384", "--max-tokens-limit", "16000"})
    private static TestServer server;

    private static boolean slotBusy() throws Exception {
        return !Json.MAPPER.readTree(server.get("/api/v1/slots").body()).get("slots").get(0).get("state").asText().equals("idle");
    }

    @Test
    void aWholeAnswerIsCancelledWhenTheClientLeaves() throws Exception {
        double before = server.cancelledRequests();
        // The grammar keeps the random model from ending early (it cannot end before 6000 letters).
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Write a very long story.\"}], \"max_tokens\": 16000,"
                + " \"grammar\": \"root ::= [a-z]{2000} [a-z]{2000} [a-z]{2000}\"}";
        try (Socket s = new Socket("127.0.0.1", server.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(1500); // past the quiet second of a whole answer: heartbeats are being written
            assertTrue(slotBusy(), "the generation still runs when the client leaves (else this test shows nothing)");
        } // closes the connection without reading the answer
        long left = System.nanoTime();
        while (slotBusy() && System.nanoTime() - left < 3_000_000_000L) {
            Thread.sleep(20);
        }
        assertFalse(slotBusy(), "the slot is freed within a few heartbeats of the client leaving");
        assertEquals(before + 1, server.cancelledRequests(), "the request ended as cancelled, not by max_tokens");
    }

    @Test
    void theConversationKeyComesBackAsXSessionId() throws Exception {
        String chat = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2}";
        HttpResponse<String> sent = server.post("/v1/chat/completions", chat, "x-session-id", "session-42");
        assertEquals(200, sent.statusCode(), sent.body());
        assertEquals("session-42", sent.headers().firstValue("x-session-id").orElse(null), "the client's key, echoed");

        HttpResponse<String> none = server.post("/v1/chat/completions", chat);
        assertEquals(200, none.statusCode());
        assertTrue(none.headers().firstValue("x-session-id").isEmpty(), "a stateless call without a key has none");

        String thread = Json.MAPPER.readTree(server.post("/api/v1/conversations", "{}").body()).get("id").asText();
        HttpResponse<String> turn = server.post("/api/v1/conversations/" + thread + "/messages", "{\"prompt\": \"hi\", \"stream\": false, \"max_tokens\": 2}");
        assertEquals(200, turn.statusCode(), turn.body());
        assertEquals(thread, turn.headers().firstValue("x-session-id").orElse(null), "a thread's turn is keyed by the thread's id");

        HttpResponse<String> overridden = server.post("/api/v1/conversations/" + thread + "/messages",
                "{\"prompt\": \"hi\", \"stream\": false, \"max_tokens\": 2}", "x-session-id", "mine");
        assertEquals("mine", overridden.headers().firstValue("x-session-id").orElse(null), "the header wins over the thread's id");
    }

    @Test
    void aBlankSessionHeaderIsRefusedInTheDialectsShape() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2}",
                "x-session-id", "x".repeat(300));
        assertEquals(400, r.statusCode(), r.body());
        JsonNode err = Json.MAPPER.readTree(r.body()).get("error");
        assertTrue(err.get("message").asText().contains("x-session-id"), err.toString());
    }
}
