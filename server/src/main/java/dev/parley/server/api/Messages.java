package dev.parley.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns a JSON list of chat messages into the chat template's messages, checking each. */
public final class Messages {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final Set<String> FIELDS = Set.of("role", "content", "name", "reasoning_content", "tool_calls", "tool_call_id");

    private Messages() {
    }

    public static List<Map<String, Object>> parse(JsonNode list, String field) {
        if (list == null || list.isNull()) {
            throw ApiError.badRequest(field, "field '" + field + "' is required: a list of messages");
        }
        if (!list.isArray()) {
            throw ApiError.badRequest(field, "field '" + field + "' must be a list of messages, got " + Echo.of(list));
        }
        if (list.isEmpty()) {
            throw ApiError.badRequest(field, "field '" + field + "' is empty: send at least one message");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(message(list.get(i), field + "[" + i + "]"));
        }
        return out;
    }

    private static Map<String, Object> message(JsonNode m, String at) {
        if (!m.isObject()) {
            throw ApiError.badRequest(at, at + " must be an object with role and content, got " + Echo.of(m));
        }
        for (var it = m.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw ApiError.badRequest(Echo.text(at + "." + f), at + ": unknown field '" + Echo.text(f) + "'");
            }
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) {
            throw ApiError.badRequest(at + ".role", at + ".role is required: one of system, user, assistant, tool");
        }
        if (!ROLES.contains(role.textValue())) {
            throw ApiError.badRequest(at + ".role", at + ".role '" + Echo.text(role.textValue()) + "' is unknown: use system, user, assistant or tool");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", role.textValue());
        out.put("content", content(m.get("content"), at + ".content", role.textValue()));
        for (String f : List.of("name", "reasoning_content", "tool_call_id")) {
            JsonNode v = m.get(f);
            if (v != null && !v.isNull()) {
                if (!v.isTextual()) {
                    throw ApiError.badRequest(at + "." + f, at + "." + f + " must be a string");
                }
                out.put(f, v.textValue());
            }
        }
        JsonNode calls = m.get("tool_calls");
        if (calls != null && !calls.isNull()) {
            if (!calls.isArray()) {
                throw ApiError.badRequest(at + ".tool_calls", at + ".tool_calls must be a list");
            }
            out.put("tool_calls", toolCalls(calls, at + ".tool_calls"));
        }
        return out;
    }

    /**
     * An assistant message's calls for the template. OpenAI sends each call's arguments as JSON text;
     * templates write them with {@code tojson} (or test {@code is string}), so arguments that parse as
     * a JSON object reach the template as that object, as llama-server passes them.
     */
    @SuppressWarnings("unchecked")
    private static List<Object> toolCalls(JsonNode calls, String at) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            JsonNode call = calls.get(i);
            if (!call.isObject()) {
                throw ApiError.badRequest(at + "[" + i + "]", at + "[" + i + "] must be an object");
            }
            Map<String, Object> c = Json.MAPPER.convertValue(call, Map.class);
            JsonNode args = call.path("function").path("arguments");
            if (args.isTextual()) {
                JsonNode parsed;
                try {
                    parsed = Json.MAPPER.readTree(args.textValue());
                } catch (java.io.IOException e) {
                    parsed = null;
                }
                if (parsed != null && parsed.isObject()) {
                    Map<String, Object> function = new LinkedHashMap<>((Map<String, Object>) c.get("function"));
                    function.put("arguments", Json.MAPPER.convertValue(parsed, Map.class));
                    c.put("function", function);
                }
            }
            out.add(c);
        }
        return out;
    }

    /** A string, or a list of {"type":"text","text":...} parts joined: templates expect text. */
    private static String content(JsonNode c, String at, String role) {
        if (c == null || c.isNull()) {
            if (role.equals("assistant")) {
                return "";
            }
            throw ApiError.badRequest(at, at + " is required");
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (c.isArray()) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                JsonNode type = part.get("type");
                if (type == null || !"text".equals(type.asText()) || part.get("text") == null || !part.get("text").isTextual()) {
                    throw ApiError.badRequest(at + "[" + i + "]", at + "[" + i + "] must be {\"type\": \"text\", \"text\": \"...\"}: only text parts are supported");
                }
                b.append(part.get("text").textValue());
            }
            return b.toString();
        }
        throw ApiError.badRequest(at, at + " must be a string or a list of text parts, got " + Echo.of(c));
    }

    /** Tools for the template: a list of objects, passed through. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return null;
        }
        if (!tools.isArray()) {
            throw ApiError.badRequest("tools", "field 'tools' must be a list of tool definitions");
        }
        for (int i = 0; i < tools.size(); i++) {
            if (!tools.get(i).isObject()) {
                throw ApiError.badRequest("tools[" + i + "]", "tools[" + i + "] must be an object");
            }
        }
        return Json.MAPPER.convertValue(tools, List.class);
    }
}
