package dev.parley.server.dialect.messagethreads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.parley.ParleyEvents;
import dev.parley.server.exchange.ErrorShape;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.SseStream;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;

/**
 * The machine's reply in the conversation-threads API. Whole: {@code {"data": REPLY}} where REPLY is
 * {@code {"conversation_id", "id", "message", "messagetype": "text", "owner": "machine", "thinking",
 * "finish_reason", "usage"}} ({@code conversation_id} and {@code id} are null when nothing is saved).
 * Streaming: server-sent {@code data:} events {@code {"owner": "machine", "messagetype": "text" or
 * "thinking", "message": DELTA}}, then {@code {"status": "success", "data": REPLY}} or
 * {@code {"status": "error", "code", "message"}}. Errors before either: that error object with the status.
 *
 * @param conversationId the saved thread's id, or null for an exchange that is not saved
 */
public record MessageThreadsAnswer(boolean stream, String conversationId) implements WireFormat {

    public static final ErrorShape ERRORS = (requestId, e) -> Json.object().put("status", "error").put("code", e.status())
            .put("message", e.getMessage());

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) {
        return new Writer(stream ? SseStream.open(res) : null, stream ? null : new WholeJson(res));
    }

    /** The reply; its usage (Parley's) has {@code truncated_messages} when the overflow policy dropped some. */
    private ObjectNode reply(String text, String thinking, GenerationEvent.Done d, String messageId, int truncated) {
        GenerationEvent.Usage u = d.usage();
        ObjectNode r = Json.object().put("conversation_id", conversationId).put("id", messageId).put("message", text)
                .put("messagetype", "text").put("owner", "machine").put("thinking", thinking).put("finish_reason", d.reason().wireName());
        ObjectNode usage = r.putObject("usage").setAll(ParleyEvents.usage(u.promptTokens(), u.cachedPromptTokens(), u.generatedTokens(),
                u.reasoningTokens()));
        if (truncated > 0) {
            usage.put("truncated_messages", truncated);
        }
        return r;
    }

    /** One writer for both forms: the reply is gathered either way, since the stream ends with it whole. */
    private final class Writer implements EventWriter {
        private final SseStream sse;
        private final WholeJson json;
        private final StringBuilder text = new StringBuilder();
        private final StringBuilder thinking = new StringBuilder();
        private int truncated;

        Writer(SseStream sse, WholeJson json) {
            this.sse = sse;
            this.json = json;
        }

        @Override
        public void truncated(int messages) {
            truncated = messages;
        }

        @Override
        public void piece(GenerationEvent.Piece p) throws IOException {
            boolean reasoning = p.channel() == GenerationEvent.Channel.REASONING;
            (reasoning ? thinking : text).append(p.text());
            if (sse != null && !p.text().isEmpty()) {
                sse.data(Json.object().put("owner", "machine").put("messagetype", reasoning ? "thinking" : "text").put("message", p.text()));
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode data = reply(text.toString(), thinking.toString(), d, messageId, truncated);
            if (sse != null) {
                ObjectNode last = Json.object().put("status", "success");
                last.set("data", data);
                sse.data(last);
                sse.close();
            } else {
                ObjectNode body = Json.object();
                body.set("data", data);
                json.send(200, body);
            }
        }

        @Override
        public void failed(ApiError e) throws IOException {
            if (sse != null) {
                sse.data(ERRORS.body(null, e));
                sse.close();
            } else {
                json.send(e.status(), ERRORS.body(null, e));
            }
        }

        @Override
        public void heartbeat() throws IOException {
            if (json != null) {
                json.heartbeat();
            }
        }
    }
}
