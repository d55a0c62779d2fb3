package dev.parley.server.dialect.parley;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.SseStream;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WholeReply;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;

/**
 * Parley's answer to a conversation turn. Streaming: server-sent events {@code content} and
 * {@code thinking} ({"text"}), then {@code done} ({"finish_reason", "usage", "message_id"}) or
 * {@code error} ({"code", "description"}). Whole: {"text", "thinking", "finish_reason", "usage"}, with
 * "message_id" where the dialect has stored messages.
 */
public record ParleyEvents(boolean stream, String requestId, boolean wholeWithMessageId) implements WireFormat {

    public static ParleyEvents streaming(String requestId) {
        return new ParleyEvents(true, requestId, true);
    }

    public static ParleyEvents whole(String requestId, boolean withMessageId) {
        return new ParleyEvents(false, requestId, withMessageId);
    }

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) {
        return stream ? new Events(SseStream.open(res)) : new Whole(new WholeJson(res));
    }

    /** Parley's usage object: prompt, cached prompt, completion and reasoning tokens. */
    public static ObjectNode usage(int prompt, int cachedPrompt, int completion, int reasoning) {
        return Json.object().put("prompt_tokens", prompt).put("cached_prompt_tokens", cachedPrompt)
                .put("completion_tokens", completion).put("reasoning_tokens", reasoning);
    }

    /** The usage of a finished generation; {@code truncated_messages} when the overflow policy dropped some. */
    public static ObjectNode usage(GenerationEvent.Usage u, int truncatedMessages) {
        ObjectNode n = usage(u.promptTokens(), u.cachedPromptTokens(), u.generatedTokens(), u.reasoningTokens());
        if (truncatedMessages > 0) {
            n.put("truncated_messages", truncatedMessages);
        }
        return n;
    }

    private static final class Events implements EventWriter {
        private final SseStream sse;
        private int truncated;

        Events(SseStream sse) {
            this.sse = sse;
        }

        @Override
        public void truncated(int messages) {
            truncated = messages;
        }

        @Override
        public void piece(GenerationEvent.Piece p) throws IOException {
            // markers are left out: the event's name says which channel the text is
            if (!p.text().isEmpty()) {
                sse.event(p.channel() == GenerationEvent.Channel.REASONING ? "thinking" : "content", Json.object().put("text", p.text()));
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode data = Json.object().put("finish_reason", d.reason().wireName());
            data.set("usage", usage(d.usage(), truncated));
            data.put("message_id", messageId);
            sse.event("done", data);
            sse.close();
        }

        @Override
        public void failed(ApiError e) throws IOException {
            sse.event("error", Json.object().put("code", e.status()).put("description", e.getMessage()));
            sse.close();
        }
    }

    private final class Whole extends WholeReply {

        Whole(WholeJson json) {
            super(json);
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode body = Json.object().put("text", text.toString()).put("thinking", thinking.toString())
                    .put("finish_reason", d.reason().wireName());
            if (wholeWithMessageId) {
                body.put("message_id", messageId);
            }
            body.set("usage", usage(d.usage(), truncated));
            json.send(200, body);
        }

        @Override
        public void failed(ApiError e) throws IOException {
            json.send(e.status(), ParleyErrors.SHAPE.body(requestId, e));
        }

    }
}
