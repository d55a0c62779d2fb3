package dev.parley.server.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.tools.ToolCall;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.SseStream;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;

/**
 * Anthropic's answers: a whole {@code message}, or its server-sent events in Anthropic's order
 * ({@code message_start}, {@code ping}, per content block {@code content_block_start}, its
 * {@code content_block_delta}s ({@code thinking_delta}, {@code text_delta}, {@code input_json_delta})
 * and {@code content_block_stop}, then {@code message_delta} with the stop reason and usage, and
 * {@code message_stop}; {@code error} when the generation fails after the stream started). Reasoning is a
 * {@code thinking} block (with an empty signature: Parley signs nothing), content a {@code text} block,
 * each tool call a {@code tool_use} block. Usage: {@code input_tokens} are the prompt tokens the KV cache did
 * not hold, {@code cache_read_input_tokens} those it did, {@code cache_creation_input_tokens} is 0 (Parley
 * caches every prompt without charging for it).
 */
record AnthropicFormat(String id, String model, String requestId, boolean stream) implements WireFormat {

    /** After this long without an event, the stream gets a ping, so idle-timing proxies keep it open. */
    private static final long PING_AFTER_NANOS = 10_000_000_000L;

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) throws IOException {
        res.header("request-id", requestId);
        return stream ? new Events(SseStream.open(res), started) : new Whole(new WholeJson(res));
    }

    /** Anthropic's tool_use ids are {@code toolu_...}; the parser's are OpenAI's {@code call_...}. */
    static String toolUseId(String callId) {
        return callId.startsWith("call_") ? "toolu_" + callId.substring(5) : callId;
    }

    private static String stopReason(GenerationEvent.Done d, boolean calls) {
        if (d.reason() == GenerationEvent.FinishReason.LENGTH) {
            return "max_tokens";
        }
        return calls ? "tool_use" : d.stopSequence() != null ? "stop_sequence" : "end_turn";
    }

    private static ObjectNode usage(int prompt, int cached, int output) {
        ObjectNode u = Json.object();
        u.put("input_tokens", prompt - cached);
        u.put("cache_creation_input_tokens", 0);
        u.put("cache_read_input_tokens", cached);
        u.put("output_tokens", output);
        return u;
    }

    private static JsonNode input(String argumentsJson) {
        try {
            JsonNode n = Json.MAPPER.readTree(argumentsJson);
            return n != null && n.isObject() ? n : Json.object();
        } catch (IOException e) {
            return Json.object(); // the parser emits whole calls of valid JSON; nothing else reaches here
        }
    }

    private static String kind(GenerationEvent.Piece p) {
        return p.channel() == GenerationEvent.Channel.REASONING ? "thinking" : "text";
    }

    private final class Whole implements EventWriter {
        private final WholeJson json;
        private final ArrayNode content = Json.MAPPER.createArrayNode();
        private final StringBuilder text = new StringBuilder();
        /** The kind of the block being gathered ("text", "thinking"), or null. */
        private String open;
        private boolean calls;

        Whole(WholeJson json) {
            this.json = json;
        }

        @Override
        public void piece(GenerationEvent.Piece p) {
            if (p.text().isEmpty()) {
                return;
            }
            String kind = kind(p);
            if (!kind.equals(open)) {
                close();
                open = kind;
            }
            text.append(p.text());
        }

        private void close() {
            if (open != null) {
                ObjectNode b = content.addObject().put("type", open).put(open, text.toString());
                if (open.equals("thinking")) {
                    b.put("signature", "");
                }
                text.setLength(0);
                open = null;
            }
        }

        @Override
        public void toolCall(ToolCallEvent e) {
            if (e instanceof ToolCallEvent.CallFinished f) {
                close();
                calls = true;
                ToolCall c = f.call();
                content.addObject().put("type", "tool_use").put("id", toolUseId(c.id())).put("name", c.name()).set("input", input(c.argumentsJson()));
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            close();
            ObjectNode r = Json.object();
            r.put("id", id).put("type", "message").put("role", "assistant").put("model", model);
            r.set("content", content);
            r.put("stop_reason", stopReason(d, calls));
            r.put("stop_sequence", calls ? null : d.stopSequence());
            GenerationEvent.Usage u = d.usage();
            r.set("usage", usage(u.promptTokens(), u.cachedPromptTokens(), u.generatedTokens()));
            json.send(200, r);
        }

        @Override
        public void failed(ApiError e) throws IOException {
            json.send(e.status(), AnthropicErrors.SHAPE.body(requestId, e));
        }

        @Override
        public void heartbeat() throws IOException {
            json.heartbeat();
        }
    }

    private final class Events implements EventWriter {
        private final SseStream sse;
        private int nextIndex;
        /** The open block's kind ("text", "thinking", "tool_use"), or null. */
        private String open;
        private boolean calls;
        private long lastWrite;

        Events(SseStream sse, GenerationEvent.Started started) throws IOException {
            this.sse = sse;
            ObjectNode m = Json.object();
            m.put("id", id).put("type", "message").put("role", "assistant").put("model", model);
            m.putArray("content");
            m.putNull("stop_reason").putNull("stop_sequence");
            m.set("usage", usage(started.promptTokens(), started.cachedTokens(), 0));
            ObjectNode start = Json.object().put("type", "message_start");
            start.set("message", m);
            send("message_start", start);
            send("ping", Json.object().put("type", "ping"));
        }

        private void send(String name, ObjectNode data) throws IOException {
            sse.event(name, data);
            lastWrite = System.nanoTime();
        }

        private void start(String kind, ObjectNode block) throws IOException {
            stop();
            open = kind;
            ObjectNode e = Json.object().put("type", "content_block_start").put("index", nextIndex);
            e.set("content_block", block);
            send("content_block_start", e);
        }

        private void stop() throws IOException {
            if (open != null) {
                send("content_block_stop", Json.object().put("type", "content_block_stop").put("index", nextIndex));
                nextIndex++;
                open = null;
            }
        }

        private void delta(ObjectNode delta) throws IOException {
            ObjectNode e = Json.object().put("type", "content_block_delta").put("index", nextIndex);
            e.set("delta", delta);
            send("content_block_delta", e);
        }

        @Override
        public void piece(GenerationEvent.Piece p) throws IOException {
            if (p.text().isEmpty()) {
                return;
            }
            String kind = kind(p);
            if (!kind.equals(open)) {
                ObjectNode block = Json.object().put("type", kind).put(kind, "");
                if (kind.equals("thinking")) {
                    block.put("signature", "");
                }
                start(kind, block);
            }
            delta(Json.object().put("type", kind + "_delta").put(kind, p.text()));
        }

        @Override
        public void toolCall(ToolCallEvent e) throws IOException {
            switch (e) {
                case ToolCallEvent.CallStarted s -> {
                    calls = true;
                    ObjectNode block = Json.object().put("type", "tool_use").put("id", toolUseId(s.id())).put("name", s.name());
                    block.putObject("input");
                    start("tool_use", block);
                }
                case ToolCallEvent.ArgumentsDelta a -> delta(Json.object().put("type", "input_json_delta").put("partial_json", a.fragment()));
                case ToolCallEvent.CallFinished f -> stop();
                case ToolCallEvent.Content c -> throw new IllegalStateException("content comes as pieces");
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            stop();
            ObjectNode e = Json.object().put("type", "message_delta");
            e.putObject("delta").put("stop_reason", stopReason(d, calls)).put("stop_sequence", calls ? null : d.stopSequence());
            GenerationEvent.Usage u = d.usage();
            e.set("usage", usage(u.promptTokens(), u.cachedPromptTokens(), u.generatedTokens()));
            send("message_delta", e);
            send("message_stop", Json.object().put("type", "message_stop"));
            sse.close();
        }

        @Override
        public void failed(ApiError error) throws IOException {
            send("error", AnthropicErrors.event(requestId, error));
            sse.close();
        }

        @Override
        public void heartbeat() throws IOException {
            if (System.nanoTime() - lastWrite > PING_AFTER_NANOS) {
                send("ping", Json.object().put("type", "ping"));
            }
        }
    }
}
