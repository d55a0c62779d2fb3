package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.Turn;
import java.util.ArrayList;
import java.util.List;

/**
 * The Responses API's {@code input} (and {@code instructions}) as chat messages: a string is one user
 * message; items are messages ({@code input_text} / {@code output_text} parts), {@code function_call}s
 * (joined onto one assistant message, as chat completions carry them) and {@code function_call_output}s
 * (tool messages). Reasoning items are left out: the template decides what earlier thinking the model
 * sees, and these carry none Parley could restore. Anything else (images, files, item references) is a 400.
 */
final class ResponsesInput {

    private ResponsesInput() {
    }

    /** Chat-completions messages, ready for {@code Messages.parse}. */
    static ArrayNode messages(JsonNode input, String instructions) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        if (instructions != null && !instructions.isEmpty()) {
            out.addObject().put("role", "system").put("content", instructions);
        }
        if (input == null || input.isNull()) {
            throw ApiError.badRequest("input", "field 'input' is required: a string or a list of input items");
        }
        if (input.isTextual()) {
            out.addObject().put("role", "user").put("content", input.textValue());
            return out;
        }
        if (!input.isArray() || input.isEmpty()) {
            throw ApiError.badRequest("input", "field 'input' must be a string or a non-empty list of input items");
        }
        for (int i = 0; i < input.size(); i++) {
            item(input.get(i), "input[" + i + "]", out);
        }
        return out;
    }

    /** The text of a lone user message ({@code input} as a string or one user message item), or null. */
    static String loneUserText(JsonNode input) {
        if (input != null && input.isTextual()) {
            return input.textValue();
        }
        if (input != null && input.isArray() && input.size() == 1) {
            JsonNode m = input.get(0);
            if ("user".equals(m.path("role").asText()) && m.path("type").asText("message").equals("message")) {
                return text(m.get("content"), "input[0].content");
            }
        }
        return null;
    }

    /**
     * The input as messages to store in a conversation: a string is one user message; items must be text
     * messages (function calls, reasoning and the rest cannot be kept in a thread: a 400).
     */
    static List<Turn.InputMessage> storable(JsonNode input, String field) {
        if (input != null && input.isTextual()) {
            return List.of(new Turn.InputMessage("user", input.textValue()));
        }
        if (input == null || !input.isArray() || input.isEmpty()) {
            throw ApiError.badRequest(field, "field '" + field + "' must be a string or a non-empty list of message items");
        }
        List<Turn.InputMessage> out = new ArrayList<>();
        for (int i = 0; i < input.size(); i++) {
            out.add(message(input.get(i), field + "[" + i + "]"));
        }
        return out;
    }

    /** One message item ({@code {type: "message", role, content}}) as a storable message. */
    static Turn.InputMessage message(JsonNode item, String at) {
        if (item == null || !item.isObject()) {
            throw ApiError.badRequest(at, at + " must be a message item object");
        }
        String type = item.path("type").asText(item.has("role") ? "message" : "");
        if (!type.equals("message")) {
            throw ApiError.badRequest(at + ".type", at + ": items of type '" + type + "' cannot be kept in a conversation; Parley keeps text messages");
        }
        JsonNode role = item.get("role");
        if (role == null || !role.isTextual() || !role.textValue().matches("user|system|developer|assistant")) {
            throw ApiError.badRequest(at + ".role", at + ".role must be user, system, developer or assistant");
        }
        return new Turn.InputMessage(role.textValue(), text(item.get("content"), at + ".content"));
    }

    private static void item(JsonNode item, String at, ArrayNode out) {
        if (!item.isObject()) {
            throw ApiError.badRequest(at, at + " must be an input item object");
        }
        String type = item.path("type").asText(item.has("role") ? "message" : "");
        switch (type) {
            case "message" -> {
                String role = item.path("role").asText();
                if (!role.matches("user|system|developer|assistant")) {
                    throw ApiError.badRequest(at + ".role", at + ".role must be user, system, developer or assistant");
                }
                out.addObject().put("role", role.equals("developer") ? "system" : role).put("content", text(item.get("content"), at + ".content"));
            }
            case "function_call" -> {
                ObjectNode call = Json.object();
                call.put("id", required(item, "call_id", at)).put("type", "function");
                call.putObject("function").put("name", required(item, "name", at)).put("arguments", required(item, "arguments", at));
                JsonNode last = out.isEmpty() ? null : out.get(out.size() - 1);
                ObjectNode assistant = last != null && "assistant".equals(last.path("role").asText()) && last.has("tool_calls")
                        ? (ObjectNode) last : out.addObject().put("role", "assistant").putNull("content");
                assistant.withArray("tool_calls").add(call);
            }
            case "function_call_output" -> {
                JsonNode output = item.get("output");
                out.addObject().put("role", "tool").put("tool_call_id", required(item, "call_id", at))
                        .put("content", output != null && output.isTextual() ? output.textValue() : text(output, at + ".output"));
            }
            case "reasoning" -> {
                // nothing to restore: see the class comment
            }
            default -> throw ApiError.badRequest(at + ".type", at + ": input items of type '" + type
                    + "' are not supported; use messages, function_call and function_call_output");
        }
    }

    private static String required(JsonNode item, String field, String at) {
        JsonNode v = item.get(field);
        if (v == null || !v.isTextual()) {
            throw ApiError.badRequest(at + "." + field, at + "." + field + " is required: a string");
        }
        return v.textValue();
    }

    /** A string, or a list of text parts ({@code input_text}, {@code output_text}, {@code text}) joined. */
    private static String text(JsonNode content, String at) {
        if (content != null && content.isTextual()) {
            return content.textValue();
        }
        if (content == null || !content.isArray()) {
            throw ApiError.badRequest(at, at + " must be a string or a list of text parts");
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            String type = part.path("type").asText();
            if (!type.matches("input_text|output_text|text") || !part.path("text").isTextual()) {
                throw ApiError.badRequest(at + "[" + i + "]", at + "[" + i + "] must be {\"type\": \"input_text\", \"text\": ...}: only text parts are supported, got "
                        + (type.isEmpty() ? part : type));
            }
            b.append(part.get("text").textValue());
        }
        return b.toString();
    }
}
