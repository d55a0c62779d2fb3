package dev.parley.server.dialect.aisdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.Messages;
import dev.parley.server.api.RequestBody;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import io.helidon.webserver.http.HttpRules;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /api/v1/ui-chat}: what the AI SDK's {@code useChat} (its {@code DefaultChatTransport})
 * sends: {@code {id, messages: [{id, role, parts: [...]}], trigger, messageId?, ...}}. A message's
 * {@code text} parts are its content, {@code reasoning} parts its earlier reasoning, {@code step-start}
 * marks are skipped; other parts (files, tools, data) are refused. {@code id} is the conversation key.
 * Parley's options ({@code max_tokens}, sampling, {@code stop}, {@code grammar}, {@code enable_thinking})
 * may ride in the body (the transport's {@code body} option); other fields are ignored.
 */
public final class UiChatRequests implements Dialect {

    private static final Set<String> TRIGGERS = Set.of("submit-message", "regenerate-message");

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/api/v1/ui-chat", UiMessageStream.ERRORS);
        rules.post("/api/v1/ui-chat", endpoints.turn(UiMessageStream.ERRORS, this::parse));
    }

    private Call parse(Incoming in) {
        RequestBody b = in.body();
        String trigger = b.optionalString("trigger");
        if (trigger != null && !TRIGGERS.contains(trigger)) {
            throw ApiError.badRequest("trigger", "field 'trigger' must be submit-message or regenerate-message, got '" + trigger + "'");
        }
        String id = b.optionalString("id");
        Prompt prompt = new Prompt.Chat(Messages.parse(fromParts(b.get("messages")), "messages"), true, b.optionalBool("enable_thinking"),
                null, Map.of());
        return new Call(in.turn(new Turn.Given(prompt), OptionFields.parse(b, in.limits()), ContextOverflow.parse(b), id), new UiMessageStream());
    }

    /** UI messages as chat messages: role, the text parts as content, the reasoning parts as reasoning_content. */
    private static JsonNode fromParts(JsonNode messages) {
        if (messages == null || !messages.isArray()) {
            return messages; // Messages.parse says what is wrong
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            JsonNode parts = m.get("parts");
            if (!m.isObject() || parts == null || !parts.isArray()) {
                throw ApiError.badRequest(at + ".parts", at + " must be an object with role and a list of parts, got " + m);
            }
            StringBuilder text = new StringBuilder();
            StringBuilder reasoning = new StringBuilder();
            for (int j = 0; j < parts.size(); j++) {
                JsonNode part = parts.get(j);
                String type = part.path("type").asText("");
                switch (type) {
                    case "text" -> text.append(string(part, "text", at + ".parts[" + j + "]"));
                    case "reasoning" -> reasoning.append(string(part, "text", at + ".parts[" + j + "]"));
                    case "step-start" -> {
                    }
                    default -> throw ApiError.badRequest(at + ".parts[" + j + "]", at + ".parts[" + j + "] has type '" + type
                            + "': only text, reasoning and step-start parts are supported");
                }
            }
            ObjectNode kept = out.addObject();
            if (m.has("role")) {
                kept.set("role", m.get("role"));
            }
            kept.put("content", text.toString());
            if (!reasoning.isEmpty()) {
                kept.put("reasoning_content", reasoning.toString());
            }
        }
        return out;
    }

    private static String string(JsonNode part, String field, String at) {
        JsonNode v = part.get(field);
        if (v == null || !v.isTextual()) {
            throw ApiError.badRequest(at + "." + field, at + "." + field + " must be a string");
        }
        return v.textValue();
    }
}
