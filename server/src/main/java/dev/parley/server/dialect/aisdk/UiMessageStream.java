package dev.parley.server.dialect.aisdk;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.ErrorShape;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.SseStream;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.UUID;

/**
 * The AI SDK's UI message stream, protocol v1 (header {@code x-vercel-ai-ui-message-stream: v1}):
 * {@code start} (the new message's id), {@code start-step}, then blocks of {@code reasoning-start},
 * {@code reasoning-delta}..., {@code reasoning-end} and {@code text-start}, {@code text-delta}...,
 * {@code text-end} (each block with its own id, a new block whenever the channel changes),
 * {@code finish-step}, {@code finish} (finish reason; usage as message metadata), and {@code [DONE]}.
 * A failure is an {@code error} part ({@code errorText}) before {@code [DONE]}.
 */
public record UiMessageStream() implements WireFormat {

    /** Errors before the stream: the error part as the whole body. */
    public static final ErrorShape ERRORS = (requestId, e) -> Json.object().put("type", "error").put("errorText", e.getMessage());

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) throws IOException {
        return new Writer(SseStream.open(res, "x-vercel-ai-ui-message-stream", "v1", "x-accel-buffering", "no"));
    }

    private static final class Writer implements EventWriter {
        private final SseStream sse;
        /** The open block's channel and id, or null between blocks. */
        private GenerationEvent.Channel open;
        private String blockId;
        private int blocks;

        Writer(SseStream sse) throws IOException {
            this.sse = sse;
            sse.data(part("start").put("messageId", "msg_" + UUID.randomUUID().toString().replace("-", "")));
            sse.data(part("start-step"));
        }

        private static ObjectNode part(String type) {
            return Json.object().put("type", type);
        }

        private static String prefix(GenerationEvent.Channel c) {
            return c == GenerationEvent.Channel.REASONING ? "reasoning" : "text";
        }

        @Override
        public void piece(GenerationEvent.Piece p) throws IOException {
            if (p.text().isEmpty()) {
                return;
            }
            if (open != p.channel()) {
                endBlock();
                open = p.channel();
                blockId = prefix(open) + "-" + blocks++;
                sse.data(part(prefix(open) + "-start").put("id", blockId));
            }
            sse.data(part(prefix(open) + "-delta").put("id", blockId).put("delta", p.text()));
        }

        private void endBlock() throws IOException {
            if (open != null) {
                sse.data(part(prefix(open) + "-end").put("id", blockId));
                open = null;
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            endBlock();
            sse.data(part("finish-step"));
            GenerationEvent.Usage u = d.usage();
            ObjectNode finish = part("finish").put("finishReason", AiChatStream.finishReason(d.reason()));
            finish.putObject("messageMetadata").putObject("usage").put("inputTokens", u.promptTokens())
                    .put("cachedInputTokens", u.cachedPromptTokens()).put("outputTokens", u.generatedTokens())
                    .put("reasoningTokens", u.reasoningTokens()).put("totalTokens", u.promptTokens() + u.generatedTokens());
            sse.data(finish);
            sse.data("[DONE]");
            sse.close();
        }

        @Override
        public void failed(ApiError e) throws IOException {
            endBlock();
            sse.data(ERRORS.body(null, e));
            sse.data("[DONE]");
            sse.close();
        }
    }
}
