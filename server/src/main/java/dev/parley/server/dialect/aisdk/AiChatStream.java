package dev.parley.server.dialect.aisdk;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.credits.Charge;
import dev.parley.server.exchange.ErrorShape;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.SseStream;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;

/**
 * The AI SDK's text-delta stream (its data stream parts, version 4), as server-sent events, each part
 * one {@code data:} line written and flushed whole: {@code {"type":"text-delta","textDelta":"..."}},
 * {@code {"type":"reasoning","textDelta":"..."}}, then {@code {"type":"finish","finishReason":...,
 * "usage":{"promptTokens","completionTokens","totalTokens"}}} or {@code {"type":"error","error":"..."}}.
 * With {@code withCredits} (the by-id conversation API's answer), the finish part also carries
 * {@code credits_used} and {@code credits_remaining}.
 */
public record AiChatStream(boolean withCredits) implements WireFormat {

    public AiChatStream() {
        this(false);
    }

    /** Errors before the stream: the error part as the whole body. */
    public static final ErrorShape ERRORS = (requestId, e) -> Json.object().put("type", "error").put("error", e.getMessage());

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) {
        SseStream sse = SseStream.open(res);
        return new EventWriter() {
            private Charge charge;

            @Override
            public void charged(Charge c) {
                charge = c;
            }

            @Override
            public void piece(GenerationEvent.Piece p) throws IOException {
                if (!p.text().isEmpty()) {
                    sse.data(Json.object().put("type", p.channel() == GenerationEvent.Channel.REASONING ? "reasoning" : "text-delta")
                            .put("textDelta", p.text()));
                }
            }

            @Override
            public void done(GenerationEvent.Done d, String messageId) throws IOException {
                GenerationEvent.Usage u = d.usage();
                ObjectNode finish = Json.object().put("type", "finish").put("finishReason", finishReason(d.reason()));
                finish.putObject("usage").put("promptTokens", u.promptTokens()).put("completionTokens", u.generatedTokens())
                        .put("totalTokens", u.promptTokens() + u.generatedTokens());
                if (withCredits) {
                    Charge.put(finish, charge);
                }
                sse.data(finish);
                sse.close();
            }

            @Override
            public void failed(ApiError e) throws IOException {
                sse.data(ERRORS.body(null, e));
                sse.close();
            }
        };
    }

    /** The AI SDK's finish reasons: stop, length, or other (cancelled). */
    static String finishReason(GenerationEvent.FinishReason r) {
        return switch (r) {
            case STOP -> "stop";
            case LENGTH -> "length";
            case CANCELLED -> "other";
        };
    }
}
