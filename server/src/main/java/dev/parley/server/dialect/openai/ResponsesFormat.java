package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.SseStream;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.UUID;

/**
 * The Responses API's answer: a whole {@code response} object, or its server-sent events
 * ({@code response.created}, {@code response.in_progress}; per output item {@code response.output_item.added},
 * its deltas ({@code response.reasoning_text.delta}, {@code response.output_text.delta} inside a content part,
 * {@code response.function_call_arguments.delta}) and {@code ...done} events; then {@code response.completed},
 * or {@code response.incomplete} when {@code max_output_tokens} cut the reply). Output items follow the
 * reply's order: a new item starts whenever it switches between reasoning, text and a call.
 *
 * @param echo the request's fields the response object repeats (instructions, previous_response_id, store, ...)
 */
record ResponsesFormat(String id, String model, boolean stream, ObjectNode echo, boolean logprobs) implements WireFormat {

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) throws IOException {
        return new Writer(stream ? SseStream.open(res) : null, stream ? null : new WholeJson(res));
    }

    private static String itemId(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "");
    }

    private final class Writer implements EventWriter {
        private final SseStream sse;
        private final WholeJson whole;
        private final ObjectNode response = Json.object();
        private final ArrayNode output;
        private final long createdAt = System.currentTimeMillis() / 1000;
        private int sequence;
        /** The item being written (reasoning or message), or null. */
        private ObjectNode open;
        private final StringBuilder openText = new StringBuilder();
        /** The open message's logprobs (the output_text part's {@code logprobs}). */
        private final ArrayNode openLogprobs = Json.MAPPER.createArrayNode();

        Writer(SseStream sse, WholeJson whole) throws IOException {
            this.sse = sse;
            this.whole = whole;
            response.put("id", id).put("object", "response").put("created_at", createdAt).put("status", "in_progress");
            response.putNull("error").putNull("incomplete_details").put("model", model);
            output = response.putArray("output");
            response.setAll(echo);
            response.putNull("usage");
            if (sse != null) {
                emit("response.created", Json.object().set("response", response.deepCopy()));
                emit("response.in_progress", Json.object().set("response", response.deepCopy()));
            }
        }

        private void emit(String type, ObjectNode event) throws IOException {
            if (sse == null) {
                return;
            }
            ObjectNode e = Json.object().put("type", type).put("sequence_number", sequence++);
            e.setAll(event);
            sse.event(type, e);
        }

        private ObjectNode at(ObjectNode item) {
            return Json.object().put("item_id", item.get("id").asText()).put("output_index", output.size() - 1);
        }

        private void openItem(ObjectNode item) throws IOException {
            output.add(item);
            emit("response.output_item.added", Json.object().put("output_index", output.size() - 1).set("item", item.deepCopy()));
        }

        private void closeItem(ObjectNode item) throws IOException {
            item.put("status", "completed");
            emit("response.output_item.done", Json.object().put("output_index", output.size() - 1).set("item", item.deepCopy()));
        }

        /** Ends the open reasoning or message item with its whole text. */
        private void closeOpen() throws IOException {
            if (open == null) {
                return;
            }
            String text = openText.toString();
            if (open.get("type").asText().equals("reasoning")) {
                emit("response.reasoning_text.done", at(open).put("content_index", 0).put("text", text));
                open.withArray("content").addObject().put("type", "reasoning_text").put("text", text);
            } else {
                ObjectNode part = Json.object().put("type", "output_text").put("text", text);
                part.putArray("annotations");
                part.set("logprobs", openLogprobs.deepCopy());
                emit("response.output_text.done", at(open).put("content_index", 0).put("text", text).set("logprobs", openLogprobs.deepCopy()));
                emit("response.content_part.done", at(open).put("content_index", 0).set("part", part.deepCopy()));
                open.withArray("content").add(part);
            }
            closeItem(open);
            open = null;
            openText.setLength(0);
            openLogprobs.removeAll();
        }

        @Override
        public void piece(GenerationEvent.Piece p) throws IOException {
            if (p.text().isEmpty()) {
                return;
            }
            boolean reasoning = p.channel() == GenerationEvent.Channel.REASONING;
            String kind = reasoning ? "reasoning" : "message";
            if (open == null || !open.get("type").asText().equals(kind)) {
                closeOpen();
                open = Json.object();
                if (reasoning) {
                    open.put("id", itemId("rs_")).put("type", "reasoning").putArray("summary");
                    open.putArray("content");
                    openItem(open);
                } else {
                    open.put("id", itemId("msg_")).put("type", "message").put("status", "in_progress").put("role", "assistant").putArray("content");
                    openItem(open);
                    ObjectNode part = Json.object().put("type", "output_text").put("text", "");
                    part.putArray("annotations");
                    emit("response.content_part.added", at(open).put("content_index", 0).set("part", part));
                }
            }
            openText.append(p.text());
            ObjectNode delta = at(open).put("content_index", 0).put("delta", p.text());
            if (reasoning) {
                emit("response.reasoning_text.delta", delta);
            } else {
                ArrayNode lp = delta.putArray("logprobs");
                if (logprobs) {
                    LogprobFields.addChat(lp, p.logprobs());
                    LogprobFields.addChat(openLogprobs, p.logprobs());
                }
                emit("response.output_text.delta", delta);
            }
        }

        @Override
        public void toolCall(ToolCallEvent e) throws IOException {
            switch (e) {
                case ToolCallEvent.CallStarted s -> {
                    closeOpen();
                    ObjectNode call = Json.object().put("id", itemId("fc_")).put("type", "function_call").put("status", "in_progress")
                            .put("call_id", s.id()).put("name", s.name()).put("arguments", "");
                    openItem(call);
                }
                case ToolCallEvent.ArgumentsDelta a -> {
                    ObjectNode call = (ObjectNode) output.get(output.size() - 1);
                    call.put("arguments", call.get("arguments").asText() + a.fragment());
                    emit("response.function_call_arguments.delta", at(call).put("delta", a.fragment()));
                }
                case ToolCallEvent.CallFinished f -> {
                    ObjectNode call = (ObjectNode) output.get(output.size() - 1);
                    call.put("arguments", f.call().argumentsJson());
                    emit("response.function_call_arguments.done", at(call).put("name", f.call().name()).put("arguments", f.call().argumentsJson()));
                    closeItem(call);
                }
                case ToolCallEvent.Content c -> throw new IllegalStateException("content comes as pieces");
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            closeOpen();
            boolean cut = d.reason() == GenerationEvent.FinishReason.LENGTH;
            response.put("status", cut ? "incomplete" : "completed");
            if (cut) {
                response.putObject("incomplete_details").put("reason", "max_output_tokens");
            }
            GenerationEvent.Usage u = d.usage();
            ObjectNode usage = response.putObject("usage");
            usage.put("input_tokens", u.promptTokens());
            usage.putObject("input_tokens_details").put("cached_tokens", u.cachedPromptTokens());
            usage.put("output_tokens", u.generatedTokens());
            usage.putObject("output_tokens_details").put("reasoning_tokens", u.reasoningTokens());
            usage.put("total_tokens", u.promptTokens() + u.generatedTokens());
            if (sse != null) {
                emit(cut ? "response.incomplete" : "response.completed", Json.object().set("response", response));
                sse.close();
            } else {
                whole.send(200, response);
            }
        }

        @Override
        public void failed(ApiError error) throws IOException {
            if (sse == null) {
                whole.send(error.status(), OpenAiErrors.SHAPE.body(id, error));
                return;
            }
            response.put("status", "failed");
            response.putObject("error").put("code", error.code() == null ? "server_error" : error.code()).put("message", error.getMessage());
            emit("response.failed", Json.object().set("response", response));
            sse.close();
        }

        @Override
        public void heartbeat() throws IOException {
            if (whole != null) {
                whole.heartbeat();
            }
        }
    }
}
