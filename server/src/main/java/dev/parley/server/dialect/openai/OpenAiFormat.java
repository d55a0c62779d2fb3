package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.SseStream;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;

/**
 * OpenAI's answers: a whole {@code chat.completion} / {@code text_completion}, or server-sent chunks
 * (a first chunk with the role, one per piece, one with the finish reason, the usage chunk when asked,
 * then {@code [DONE]}). Chat splits reasoning into {@code reasoning_content}; completions send raw text.
 */
public record OpenAiFormat(String id, String model, boolean chat, boolean stream, boolean includeUsage) implements WireFormat {

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) throws IOException {
        return stream ? new Chunks(SseStream.open(res)) : new Whole(new WholeJson(res));
    }

    private ObjectNode envelope(String object) {
        ObjectNode r = Json.object();
        r.put("id", id).put("object", object).put("created", System.currentTimeMillis() / 1000).put("model", model);
        return r;
    }

    private static String finishReason(GenerationEvent.FinishReason r) {
        return r == GenerationEvent.FinishReason.LENGTH ? "length" : "stop";
    }

    /** OpenAI's usage, plus Parley's {@code truncated_messages} when the overflow policy dropped some. */
    private static ObjectNode usage(GenerationEvent.Usage u, int truncatedMessages) {
        ObjectNode n = Json.object();
        if (truncatedMessages > 0) {
            n.put("truncated_messages", truncatedMessages);
        }
        n.put("prompt_tokens", u.promptTokens());
        n.put("completion_tokens", u.generatedTokens());
        n.put("total_tokens", u.promptTokens() + u.generatedTokens());
        n.putObject("prompt_tokens_details").put("cached_tokens", u.cachedPromptTokens());
        n.putObject("completion_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        return n;
    }

    private final class Whole implements EventWriter {
        private final WholeJson json;
        private final StringBuilder content = new StringBuilder();
        private final StringBuilder reasoning = new StringBuilder();
        private int truncated;

        Whole(WholeJson json) {
            this.json = json;
        }

        @Override
        public void truncated(int messages) {
            truncated = messages;
        }

        @Override
        public void piece(GenerationEvent.Piece p) {
            if (chat) {
                (p.channel() == GenerationEvent.Channel.REASONING ? reasoning : content).append(p.text());
            } else {
                content.append(p.raw());
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode r = envelope(chat ? "chat.completion" : "text_completion");
            ObjectNode choice = r.putArray("choices").addObject();
            choice.put("index", 0);
            if (chat) {
                ObjectNode m = choice.putObject("message");
                m.put("role", "assistant").put("content", content.toString());
                if (!reasoning.isEmpty()) {
                    m.put("reasoning_content", reasoning.toString());
                }
            } else {
                choice.put("text", content.toString());
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", finishReason(d.reason()));
            r.set("usage", usage(d.usage(), truncated));
            json.send(200, r);
        }

        @Override
        public void failed(ApiError e) throws IOException {
            json.send(e.status(), OpenAiErrors.SHAPE.body(id, e));
        }

        @Override
        public void heartbeat() throws IOException {
            json.heartbeat();
        }
    }

    private final class Chunks implements EventWriter {
        private final SseStream sse;
        private int truncated;

        Chunks(SseStream sse) throws IOException {
            this.sse = sse;
            if (chat) {
                ObjectNode first = chunk();
                first.withArray("choices").addObject().put("index", 0).putNull("finish_reason")
                        .putObject("delta").put("role", "assistant").put("content", "");
                sse.data(first);
            }
        }

        @Override
        public void truncated(int messages) {
            truncated = messages;
        }

        private ObjectNode chunk() {
            ObjectNode c = envelope(chat ? "chat.completion.chunk" : "text_completion");
            c.putArray("choices");
            return c;
        }

        @Override
        public void piece(GenerationEvent.Piece p) throws IOException {
            String text = chat ? p.text() : p.raw();
            if (text.isEmpty()) {
                return;
            }
            ObjectNode c = chunk();
            ObjectNode choice = c.withArray("choices").addObject().put("index", 0);
            if (chat) {
                choice.putObject("delta").put(p.channel() == GenerationEvent.Channel.REASONING ? "reasoning_content" : "content", text);
            } else {
                choice.put("text", text).putNull("logprobs");
            }
            choice.putNull("finish_reason");
            sse.data(c);
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode last = chunk();
            ObjectNode choice = last.withArray("choices").addObject().put("index", 0);
            if (chat) {
                choice.putObject("delta");
            } else {
                choice.put("text", "").putNull("logprobs");
            }
            choice.put("finish_reason", finishReason(d.reason()));
            sse.data(last);
            if (includeUsage) {
                ObjectNode u = chunk();
                u.set("usage", usage(d.usage(), truncated));
                sse.data(u);
            }
            sse.data("[DONE]");
            sse.close();
        }

        @Override
        public void failed(ApiError e) throws IOException {
            sse.data(OpenAiErrors.SHAPE.body(id, e));
            sse.data("[DONE]"); // clients read to [DONE]; the error before it says why the stream ended
            sse.close();
        }
    }
}
