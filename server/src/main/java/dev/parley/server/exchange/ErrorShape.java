package dev.parley.server.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

/** A dialect's error body; the one place where an {@link ApiError} becomes bytes before a stream starts. */
@FunctionalInterface
public interface ErrorShape {

    JsonNode body(String requestId, ApiError error);

    /** Answers with the error's status (and Retry-After when the server is overloaded). */
    default void send(ServerResponse res, String requestId, ApiError error) {
        if (error.retryable()) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        Json.send(res, error.status(), body(requestId, error));
    }
}
