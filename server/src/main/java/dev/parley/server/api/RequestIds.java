package dev.parley.server.api;

import io.helidon.webserver.http.ServerRequest;
import java.util.UUID;

/** A request's id: the client's X-Request-Id when it sends a sensible one, else a fresh UUID. */
public final class RequestIds {

    private RequestIds() {
    }

    public static String of(ServerRequest req) {
        return req.headers().first(Headers.REQUEST_ID)
                .filter(id -> !id.isBlank() && id.length() <= 128 && id.chars().allMatch(c -> c > 32 && c < 127))
                .orElseGet(() -> UUID.randomUUID().toString());
    }
}
