package dev.parley.server.dialect.parley;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;

/**
 * A thread's own fields, checked and bounded: every list page carries titles and metadata, and every
 * exchange the system prompt, so none of them may grow without limit.
 */
public final class ThreadFields {

    static final int MAX_TITLE_CHARS = 512;
    static final int MAX_SYSTEM_PROMPT_CHARS = 65_536;
    static final int MAX_METADATA_BYTES = 16_384;

    private ThreadFields() {
    }

    public static String title(RequestBody b) {
        return bounded(b, "title", MAX_TITLE_CHARS);
    }

    static String systemPrompt(RequestBody b) {
        return bounded(b, "system_prompt", MAX_SYSTEM_PROMPT_CHARS);
    }

    /** The metadata object as stored JSON ("{}" when absent). */
    static String metadata(RequestBody b) {
        JsonNode m = b.get("metadata");
        if (m == null || m.isNull()) {
            return "{}";
        }
        if (!m.isObject()) {
            throw ApiError.badRequest("metadata", "field 'metadata' must be a JSON object");
        }
        byte[] json = Json.bytes(m);
        if (json.length > MAX_METADATA_BYTES) {
            throw ApiError.badRequest("metadata", "field 'metadata' is " + json.length + " bytes of JSON; at most " + MAX_METADATA_BYTES + " are kept");
        }
        return new String(json, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String bounded(RequestBody b, String name, int maxChars) {
        String v = b.optionalString(name);
        if (v != null && v.length() > maxChars) {
            throw ApiError.badRequest(name, "field '" + name + "' has " + v.length() + " characters; at most " + maxChars + " are allowed");
        }
        return v;
    }
}
