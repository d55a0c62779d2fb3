package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.ErrorShape;

/** OpenAI's error body: {"error": {"message", "type", "param", "code"}}. */
public final class OpenAiErrors implements ErrorShape {

    public static final OpenAiErrors SHAPE = new OpenAiErrors();

    private OpenAiErrors() {
    }

    @Override
    public JsonNode body(String requestId, ApiError e) {
        ObjectNode r = Json.object();
        ObjectNode err = r.putObject("error");
        err.put("message", e.getMessage());
        int status = e.status();
        err.put("type", type(status));
        err.put("param", e.param());
        err.put("code", e.code());
        return r;
    }

    /** OpenAI's error types, as its SDKs map them to exception classes. */
    static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 402 -> "insufficient_quota";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }
}
