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
        err.put("type", status >= 500 ? "server_error" : status == 413 || status == 400 ? "invalid_request_error" : "rate_limit_error");
        err.put("param", e.param());
        err.put("code", e.code());
        return r;
    }
}
