package dev.parley.server.dialect.parley;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.ErrorShape;

/** Parley's error body, shared by its NDJSON, threads and conversation APIs: {"Error": {"request_id", "error": {"code", "description"}}}. */
public final class ParleyErrors implements ErrorShape {

    public static final ParleyErrors SHAPE = new ParleyErrors();

    private ParleyErrors() {
    }

    @Override
    public JsonNode body(String requestId, ApiError e) {
        return error(requestId, e.status(), e.getMessage());
    }

    public static ObjectNode error(String requestId, int code, String description) {
        ObjectNode r = Json.object();
        ObjectNode err = r.putObject("Error");
        err.put("request_id", requestId);
        err.putObject("error").put("code", code).put("description", description);
        return r;
    }
}
