package dev.parley.server.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.ErrorShape;
import io.helidon.webserver.http.ServerResponse;

/**
 * Anthropic's error body: {@code {"type": "error", "error": {"type", "message"}, "request_id"}}, with
 * Anthropic's error types by status (its SDKs raise typed errors by status, and show the type).
 * Parley keeps its own statuses (a queue full is 503, not Anthropic's 529), typed as Anthropic types them.
 */
public final class AnthropicErrors implements ErrorShape {

    public static final AnthropicErrors SHAPE = new AnthropicErrors();

    private AnthropicErrors() {
    }

    @Override
    public JsonNode body(String requestId, ApiError e) {
        ObjectNode r = Json.object();
        r.put("type", "error");
        r.putObject("error").put("type", type(e.status())).put("message", e.getMessage());
        r.put("request_id", requestId);
        return r;
    }

    /** The body of an {@code error} event in a stream that already started. */
    static ObjectNode event(String requestId, ApiError e) {
        return (ObjectNode) SHAPE.body(requestId, e);
    }

    @Override
    public void send(ServerResponse res, String requestId, ApiError error) {
        res.header("request-id", requestId); // where Anthropic's SDKs read a failed request's id
        ErrorShape.super.send(res, requestId, error);
    }

    /** Anthropic's error types (docs: API errors). */
    static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }
}
