package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestBody;
import dev.parley.server.auth.Caller;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/** A request on its way to becoming a turn: the HTTP request with its id, caller, limits and checked body. */
public final class Incoming {

    /** The affinity header a router hashes on; Parley answers with it too. */
    public static final HeaderName SESSION_ID = HeaderNames.create("x-session-id");

    private final ServerRequest http;
    private final String requestId;
    private final Limits limits;
    private RequestBody body;

    Incoming(ServerRequest http, String requestId, Limits limits) {
        this.http = http;
        this.requestId = requestId;
        this.limits = limits;
    }

    public ServerRequest http() {
        return http;
    }

    /** The client's X-Request-Id when it sent a sensible one, else a fresh id. */
    public String requestId() {
        return requestId;
    }

    public Limits limits() {
        return limits;
    }

    /** The owner of the caller's API key (the local owner when keys are off). */
    public String owner() {
        return Caller.of(http).owner();
    }

    /** The JSON body, read once, within the body-size limit. */
    public RequestBody body() {
        if (body == null) {
            body = RequestBody.read(http, limits.maxBodyBytes());
        }
        return body;
    }

    /** The JSON body, or {} when the request has none. */
    public RequestBody bodyOrEmpty() {
        if (body == null && !http.content().hasEntity()) {
            body = RequestBody.parse("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return body();
    }

    /** The query parameter {@code limit} of a listing: a whole number from 1 to {@code max}, {@code dflt} when absent. */
    public int limitParam(int dflt, int max) {
        var q = http.query();
        if (!q.contains("limit")) {
            return dflt;
        }
        int limit;
        try {
            limit = Integer.parseInt(q.get("limit"));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > max) {
            throw ApiError.badRequest("limit", "query parameter 'limit' must be a whole number from 1 to " + max);
        }
        return limit;
    }

    public String pathParam(String name) {
        return http.path().pathParameters().get(name);
    }

    /** Whether the client's Accept header names this media type. */
    public boolean accepts(String mediaType) {
        return http.headers().first(HeaderNames.ACCEPT).map(a -> a.contains(mediaType)).orElse(false);
    }

    /**
     * The turn's conversation key: the {@code x-session-id} header when the client sends one, else the
     * dialect's own id for the conversation (a thread's id, a chat id), else null.
     */
    public String conversationKey(String dialectKey) {
        String header = http.headers().first(SESSION_ID).orElse(null);
        if (header != null) {
            if (header.isBlank() || header.length() > 256 || !header.chars().allMatch(c -> c > 32 && c < 127)) {
                throw ApiError.badRequest(null, "header x-session-id must be 1 to 256 visible ASCII characters");
            }
            return header;
        }
        return dialectKey == null || dialectKey.isBlank() ? null : dialectKey;
    }

    /** A turn of this request with its own request id; {@code overflow} null: the thread's or the route's default. */
    public Turn turn(Turn.Source source, GenerationOptions options, ContextOverflow overflow, String dialectKey) {
        return turn(requestId, source, options, overflow, dialectKey);
    }

    /** A turn under a dialect's own request id (OpenAI's {@code chatcmpl-...}). */
    public Turn turn(String requestId, Turn.Source source, GenerationOptions options, ContextOverflow overflow, String dialectKey) {
        return new Turn(requestId, source, options, overflow, conversationKey(dialectKey), owner(), model(), null);
    }

    /**
     * The model the body names in its {@code model} field (every dialect that has one calls it that), or null:
     * the server's default model. A request without a body, or whose dialect read none, names none.
     */
    public String model() {
        if (body == null) {
            return null;
        }
        com.fasterxml.jackson.databind.JsonNode m = body.get("model");
        return m != null && m.isTextual() && !m.textValue().isBlank() ? m.textValue().strip() : null;
    }
}
