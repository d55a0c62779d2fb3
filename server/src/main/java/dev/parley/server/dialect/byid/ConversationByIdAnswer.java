package dev.parley.server.dialect.byid;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.credits.Charge;
import dev.parley.server.dialect.aisdk.AiChatStream;
import dev.parley.server.dialect.parley.ParleyEvents;
import dev.parley.server.exchange.ErrorShape;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WholeReply;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;

/**
 * The answer to a conversation continued by id. Whole: {@code {"text", "thinking", "finish_reason",
 * "message_id", "usage", "credits_used", "credits_remaining"}} (Parley's usage object; {@code message_id}
 * is the stored reply's id, null when not saved; {@code credits_remaining} null when the key's owner has
 * no budget). Streaming: the AI SDK's text-delta stream parts as server-sent events, as {@code /api/ai/chat}
 * answers ({@link AiChatStream}): {@code text-delta} and {@code reasoning} parts, then {@code finish} with
 * usage and the two credit fields, or {@code error}. Errors before either: {@code {"error": "..."}} with the status.
 */
public record ConversationByIdAnswer(boolean stream, String requestId) implements WireFormat {

    public static final ErrorShape ERRORS = (requestId, e) -> Json.object().put("error", e.getMessage());

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) {
        return stream ? new AiChatStream(true).open(started, res) : new Whole(new WholeJson(res));
    }

    private static final class Whole extends WholeReply {

        private Charge charge;

        Whole(WholeJson json) {
            super(json);
        }

        @Override
        public void charged(Charge c) {
            charge = c;
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode body = Json.object().put("text", text.toString()).put("thinking", thinking.toString())
                    .put("finish_reason", d.reason().wireName()).put("message_id", messageId);
            body.set("usage", ParleyEvents.usage(d.usage(), truncated));
            Charge.put(body, charge);
            json.send(200, body);
        }

        @Override
        public void failed(ApiError e) throws IOException {
            json.send(e.status(), ERRORS.body(null, e));
        }

    }
}
