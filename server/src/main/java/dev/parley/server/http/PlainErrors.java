package dev.parley.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.openai.OpenAiErrors;
import dev.parley.server.exchange.ErrorShape;

/**
 * The error body for paths no dialect owns ({@code /}, {@code /health}, {@code /props}, ...):
 * {"error": {"code", "message", "type", "request_id"}}, llama-server's shape (with OpenAI's types), since
 * the clients that try such paths are mostly written for llama-server.
 */
public final class PlainErrors implements ErrorShape {

    public static final PlainErrors SHAPE = new PlainErrors();

    private PlainErrors() {
    }

    @Override
    public JsonNode body(String requestId, ApiError e) {
        ObjectNode r = Json.object();
        r.putObject("error").put("code", e.status()).put("message", e.getMessage()).put("type", OpenAiErrors.type(e.status()))
                .put("request_id", requestId);
        return r;
    }
}
