package dev.parley.server.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events, each written whole and flushed: {@code event: NAME} (optional) and one
 * {@code data: } line. The one SSE writer every dialect uses.
 */
public final class SseStream {

    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEWLINE = {'\n'};
    private static final byte[] END = {'\n', '\n'};

    private final OutputStream out;

    private SseStream(OutputStream out) {
        this.out = out;
    }

    /** Starts a 200 text/event-stream answer (no caching), plus the given header pairs. */
    public static SseStream open(ServerResponse res, String... headers) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            res.header(headers[i], headers[i + 1]);
        }
        return new SseStream(res.outputStream());
    }

    /** {@code event: name} then {@code data: json}. */
    public void event(String name, JsonNode data) throws IOException {
        out.write(EVENT);
        out.write(name.getBytes(StandardCharsets.UTF_8));
        out.write(NEWLINE);
        data(data);
    }

    /** One unnamed {@code data: json} event. */
    public void data(JsonNode data) throws IOException {
        out.write(DATA);
        out.write(Json.bytes(data));
        out.write(END);
        out.flush();
    }

    /** One unnamed event with literal text ({@code [DONE]}). */
    public void data(String text) throws IOException {
        out.write(DATA);
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.write(END);
        out.flush();
    }

    public void close() throws IOException {
        out.close();
    }
}
