package dev.parley.server.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A non-streaming JSON answer that still notices a client that left. Nothing is written while the
 * answer is short; once it has run for {@link #QUIET_MILLIS}, each heartbeat writes one space (JSON
 * allows whitespace before a value) so that a closed connection fails a write and the generation is
 * cancelled. The price: after that point the status is committed as 200, so a late failure comes back
 * as the dialect's error body with status 200.
 */
public final class WholeJson {

    /** How long a whole answer stays silent (and keeps its exact status) before the heartbeats start. */
    public static final long QUIET_MILLIS = 1000;

    private final ServerResponse res;
    private final long openedNanos = System.nanoTime();
    private OutputStream out;

    public WholeJson(ServerResponse res) {
        this.res = res;
    }

    public void heartbeat() throws IOException {
        if (out == null) {
            if (System.nanoTime() - openedNanos < QUIET_MILLIS * 1_000_000L) {
                return;
            }
            res.status(200);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            out = res.outputStream();
        }
        out.write(' ');
        out.flush();
    }

    /** The answer: with this status, or after the heartbeats with the 200 already sent. */
    public void send(int status, JsonNode body) throws IOException {
        if (out == null) {
            Json.send(res, status, body);
            return;
        }
        out.write(Json.bytes(body));
        out.close();
    }
}
