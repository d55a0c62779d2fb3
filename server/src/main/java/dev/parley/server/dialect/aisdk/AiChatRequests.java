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

/**
 * {@code POST /api/ai/chat}, from a published "continue conversation" API: {@code {id, messages, ...}}
 * where {@code id} names the conversation (its key for affinity and KV reuse; it need not exist) and
 * messages are {@code {role, content}} (AI SDK chat messages, whose {@code parts} stand in for a missing
 * content). Other fields, top level or on messages ({@code boxAddress}, {@code assistantId},
 * {@code vector}, a message's {@code id} or {@code createdAt}), are accepted and ignored, except
 * Parley's own options ({@code max_tokens}, sampling, {@code stop}, {@code grammar},
 * {@code enable_thinking}), which are checked and used. Always answers server-sent events, see {@link AiChatStream}.
 */
public final class AiChatRequests implements Dialect {

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/api/ai/", AiChatStream.ERRORS);
        rules.post("/api/ai/chat", endpoints.turn(AiChatStream.ERRORS, this::parse));
    }

    private Call parse(Incoming in) {
        RequestBody b = in.body();
        String id = b.optionalString("id");
        Prompt prompt = new Prompt.Chat(Messages.parse(contentOnly(b.get("messages")), "messages"), true, b.optionalBool("enable_thinking"),
                null, Map.of());
        return new Call(in.turn(new Turn.Given(prompt), OptionFields.parse(b, in.limits()), ContextOverflow.parse(b), id), new AiChatStream());
    }

    /** Each message's role and content (its text parts joined when it has no content), nothing else. */
    private static JsonNode contentOnly(JsonNode messages) {
        if (messages == null || !messages.isArray()) {
            return messages; // Messages.parse says what is wrong
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw ApiError.badRequest("messages[" + i + "]", "messages[" + i + "] must be an object with role and content, got " + m);
            }
            ObjectNode kept = out.addObject();
            if (m.has("role")) {
                kept.set("role", m.get("role"));
            }
            JsonNode content = m.get("content");
            if ((content == null || content.isNull()) && m.path("parts").isArray()) {
                StringBuilder text = new StringBuilder();
                for (JsonNode part : m.get("parts")) {
                    if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
                        text.append(part.get("text").textValue());
                    }
                }
                kept.put("content", text.toString());
            } else if (content != null) {
                kept.set("content", content);
            }
        }
        return out;
    }
}
