package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Malformed or ambiguous request framing, sent over a raw socket: a 400 in the API's shape, no internals. */
class HttpFramingTest {

    private static final String RAW = "/api/v1/continue_from_raw_prompt";
    @ServerFlags({"--slots", "1"})
    private static TestServer server;

    private static RawHttp.Response send(String request) throws Exception {
        try (RawHttp http = new RawHttp(server.server.port())) {
            return http.send(request).read();
        }
    }

    /** A 400 whose description is one of Parley's sentences, not an exception's text. */
    private static void assertCleanRefusal(RawHttp.Response r, String leak) throws Exception {
        assertEquals(400, r.status(), new String(r.body()));
        JsonNode error = r.json().get("Error").get("error");
        assertEquals(400, error.get("code").asInt());
        String description = error.get("description").asText();
        assertFalse(description.contains(leak), description);
        assertFalse(description.contains("Exception"), description);
        assertNotNull(r.header("x-request-id"));
    }

    @Test
    void aNegativeContentLengthIs400() throws Exception {
        RawHttp.Response r = send("POST " + RAW + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: -5\r\n\r\n{\"raw_prompt\": \"hi\"}");
        assertCleanRefusal(r, "arraycopy");
    }

    @Test
    void aChunkSizeThatIsNotHexIs400() throws Exception {
        RawHttp.Response r = send("POST " + RAW + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{\"raw_prompt\": \"secret body\"}\r\n0\r\n\r\n");
        assertCleanRefusal(r, "secret body");
    }

    @Test
    void bothContentLengthAndTransferEncodingAre400() throws Exception {
        String body = "{\"raw_prompt\": \"hi\", \"max_tokens\": 1}";
        RawHttp.Response r = send("POST " + RAW + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
        assertCleanRefusal(r, "Exception");
    }

    @Test
    void aTransferEncodingOtherThanChunkedIs400() throws Exception {
        RawHttp.Response r = send("POST " + RAW + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: gzip\r\n\r\n");
        assertCleanRefusal(r, "Exception");
    }
}
