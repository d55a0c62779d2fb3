package dev.parley.server.api;

import io.helidon.webserver.http.ServerRequest;
import java.util.UUID;

/**
 * A request's id: the client's X-Request-Id when it sends a sensible one, else a fresh UUID. The
 * request-id filter assigns it once per request, so the header, the log and the body all agree.
 */
public final class RequestIds {

    private record Assigned(String id) {}

    private RequestIds() {
    }

    /** The id assigned to this request (a new one if none was assigned yet). */
    public static String of(ServerRequest req) {
        return req.context().get(Assigned.class).map(Assigned::id).orElseGet(() -> assign(req));
    }

    /** Picks the request's id and remembers it for the rest of the request. */
    public static String assign(ServerRequest req) {
        String id = req.headers().first(Headers.REQUEST_ID)
                .filter(h -> !h.isBlank() && h.length() <= 128 && h.chars().allMatch(c -> c > 32 && c < 127))
                .orElseGet(() -> UUID.randomUUID().toString());
        req.context().register(new Assigned(id));
        return id;
    }
}
