package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadStore;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;

/**
 * {@code GET /v1/responses/{id}}, {@code DELETE /v1/responses/{id}} and {@code GET /v1/responses/{id}/input_items}:
 * a stored response is the messages it added to its thread (marked with its id), rebuilt as a response
 * object; nothing else is kept, so the request's echo fields come back as their defaults.
 */
final class StoredResponses {

    private final ThreadStore store;
    private final String model;

    StoredResponses(ThreadStore store, String model) {
        this.store = store;
        this.model = model;
    }

    void register(HttpRules rules, Endpoints endpoints) {
        OpenAiErrors errors = OpenAiErrors.SHAPE;
        rules.get("/v1/responses/{id}", endpoints.handler(errors, this::retrieve))
             .delete("/v1/responses/{id}", endpoints.handler(errors, this::delete))
             .get("/v1/responses/{id}/input_items", endpoints.handler(errors, this::inputItems));
    }

    private List<StoredMessage> owned(Incoming in) {
        String id = in.pathParam("id");
        List<StoredMessage> messages = store.responseMessages(in.owner(), id);
        if (messages.isEmpty()) {
            throw new ApiError(404, "Response with id '" + Echo.text(id) + "' not found.", null, null);
        }
        return messages;
    }

    /** The reply is the last message, an assistant message with a finish reason; null when it was deleted. */
    private static StoredMessage reply(List<StoredMessage> messages) {
        StoredMessage last = messages.getLast();
        return last.role().equals("assistant") && last.finishReason() != null ? last : null;
    }

    private void retrieve(Incoming in, ServerResponse res) {
        List<StoredMessage> messages = owned(in);
        StoredMessage reply = reply(messages);
        Conversation c = store.get(in.owner(), messages.getFirst().conversationId()).orElseThrow();
        ObjectNode r = Json.object();
        boolean cut = reply != null && "length".equals(reply.finishReason());
        r.put("id", in.pathParam("id")).put("object", "response").put("created_at", messages.getFirst().createdAt() / 1000)
                .put("status", cut ? "incomplete" : "completed").putNull("error");
        if (cut) {
            r.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            r.putNull("incomplete_details");
        }
        r.put("model", model);
        ArrayNode output = r.putArray("output");
        if (reply != null) {
            if (reply.thinking() != null) {
                ObjectNode reasoning = output.addObject().put("id", "rs_" + reply.id().substring(4)).put("type", "reasoning");
                reasoning.putArray("summary");
                reasoning.putArray("content").addObject().put("type", "reasoning_text").put("text", reply.thinking());
            }
            output.add(OpenAiConversations.item(reply));
        }
        r.put("instructions", c.systemPrompt() == null || c.systemPrompt().isEmpty() ? null : c.systemPrompt());
        r.putNull("previous_response_id");
        r.set("conversation", Json.object().put("id", c.id()));
        r.put("store", true).put("parallel_tool_calls", true).put("tool_choice", "auto").put("truncation", "disabled");
        r.putObject("metadata");
        r.putArray("tools");
        r.putObject("text").putObject("format").put("type", "text");
        if (reply == null || reply.promptTokens() == null) {
            r.putNull("usage");
        } else {
            ObjectNode usage = r.putObject("usage");
            int input = reply.promptTokens();
            int out = reply.completionTokens() == null ? 0 : reply.completionTokens();
            usage.put("input_tokens", input);
            usage.putObject("input_tokens_details").put("cached_tokens", reply.cachedPromptTokens() == null ? 0 : reply.cachedPromptTokens());
            usage.put("output_tokens", out);
            usage.putObject("output_tokens_details").put("reasoning_tokens", reply.reasoningTokens() == null ? 0 : reply.reasoningTokens());
            usage.put("total_tokens", input + out);
        }
        Json.send(res, 200, r);
    }

    private void delete(Incoming in, ServerResponse res) {
        String id = in.pathParam("id");
        if (!store.forgetResponse(in.owner(), id)) {
            throw new ApiError(404, "Response with id '" + Echo.text(id) + "' not found.", null, null);
        }
        Json.send(res, 200, Json.object().put("id", id).put("object", "response").put("deleted", true));
    }

    private void inputItems(Incoming in, ServerResponse res) {
        List<StoredMessage> messages = owned(in);
        List<StoredMessage> input = reply(messages) == null ? messages : messages.subList(0, messages.size() - 1);
        Json.send(res, 200, OpenAiConversations.page(in, input));
    }
}
