package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.TokenLogprob;
import dev.parley.runtime.tools.ToolCall;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.SseStream;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WholeReply;
import dev.parley.server.exchange.WireFormat;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI's answers: a whole {@code chat.completion} / {@code text_completion}, or server-sent chunks
 * (a first chunk with the role, one per piece, one with the finish reason, the usage chunk when asked,
 * then {@code [DONE]}). Chat splits reasoning into {@code reasoning_content}; completions send raw text.
 * Tool calls (chat only) come whole as {@code message.tool_calls}, or streamed as OpenAI streams them: a
 * delta announcing the call (index, id, type, name, empty arguments), then deltas of argument fragments;
 * a reply with calls finishes with {@code tool_calls}. With {@code logprobs}, each choice (or chunk) carries
 * its content tokens' logprobs: chat's {@code logprobs.content[]}, or completions' {@code tokens} /
 * {@code token_logprobs} / {@code top_logprobs} / {@code text_offset}.
 */
public record OpenAiFormat(String id, String model, boolean chat, boolean stream, boolean includeUsage, boolean logprobs)
        implements WireFormat {

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) throws IOException {
        return stream ? new Chunks(SseStream.open(res)) : new Whole(new WholeJson(res));
    }

    private ObjectNode envelope(String object) {
        ObjectNode r = Json.object();
        r.put("id", id).put("object", object).put("created", System.currentTimeMillis() / 1000).put("model", model);
        return r;
    }

    private static String finishReason(GenerationEvent.FinishReason r, boolean calls) {
        return r == GenerationEvent.FinishReason.LENGTH ? "length" : calls ? "tool_calls" : "stop";
    }

    /** The choice's logprobs for these tokens; null when the request did not ask. */
    private void putLogprobs(ObjectNode choice, List<TokenLogprob> tokens, int textOffset) {
        if (!logprobs) {
            choice.putNull("logprobs");
        } else if (chat) {
            ObjectNode l = choice.putObject("logprobs");
            LogprobFields.addChat(l.putArray("content"), tokens);
            l.putNull("refusal");
        } else {
            choice.set("logprobs", LogprobFields.completion(tokens, textOffset));
        }
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

    private final class Whole extends WholeReply {
        private final List<ToolCall> calls = new ArrayList<>();
        private final List<TokenLogprob> tokenLogprobs = new ArrayList<>();

        Whole(WholeJson json) {
            super(json);
        }

        @Override
        public void piece(GenerationEvent.Piece p) {
            if (!chat || p.channel() == GenerationEvent.Channel.CONTENT) {
                tokenLogprobs.addAll(p.logprobs());
            }
            if (chat) {
                super.piece(p);
            } else {
                text.append(p.raw()); // a completion continues the raw text, markers included
            }
        }

        @Override
        public void toolCall(ToolCallEvent e) {
            if (e instanceof ToolCallEvent.CallFinished f) {
                calls.add(f.call());
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode r = envelope(chat ? "chat.completion" : "text_completion");
            ObjectNode choice = r.putArray("choices").addObject();
            choice.put("index", 0);
            if (chat) {
                ObjectNode m = choice.putObject("message");
                m.put("role", "assistant");
                if (calls.isEmpty() || !text.toString().isBlank()) {
                    m.put("content", text.toString());
                } else {
                    m.putNull("content"); // as OpenAI: a reply that only calls tools has no content
                }
                if (!thinking.isEmpty()) {
                    m.put("reasoning_content", thinking.toString());
                }
                if (!calls.isEmpty()) {
                    var list = m.putArray("tool_calls");
                    for (ToolCall c : calls) {
                        ObjectNode call = list.addObject().put("id", c.id()).put("type", "function");
                        call.putObject("function").put("name", c.name()).put("arguments", c.argumentsJson());
                    }
                }
            } else {
                choice.put("text", text.toString());
            }
            putLogprobs(choice, tokenLogprobs, 0);
            choice.put("finish_reason", finishReason(d.reason(), !calls.isEmpty()));
            r.set("usage", usage(d.usage(), truncated));
            json.send(200, r);
        }

        @Override
        public void failed(ApiError e) throws IOException {
            json.send(e.status(), OpenAiErrors.SHAPE.body(id, e));
        }
    }

    private final class Chunks implements EventWriter {
        private final SseStream sse;
        private int truncated;
        private boolean calls;
        /** Characters of completion text sent so far (legacy logprobs' text_offset). */
        private int sent;

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
            boolean reasoning = p.channel() == GenerationEvent.Channel.REASONING;
            if (chat) {
                choice.putObject("delta").put(reasoning ? "reasoning_content" : "content", text);
            } else {
                choice.put("text", text);
            }
            putLogprobs(choice, chat && reasoning ? List.of() : p.logprobs(), sent);
            sent += text.length();
            choice.putNull("finish_reason");
            sse.data(c);
        }

        @Override
        public void toolCall(ToolCallEvent e) throws IOException {
            ObjectNode call = Json.object();
            switch (e) {
                case ToolCallEvent.CallStarted s -> {
                    calls = true;
                    call.put("index", s.index()).put("id", s.id()).put("type", "function");
                    call.putObject("function").put("name", s.name()).put("arguments", "");
                }
                case ToolCallEvent.ArgumentsDelta a -> call.put("index", a.index()).putObject("function").put("arguments", a.fragment());
                case ToolCallEvent.CallFinished f -> {
                    return; // its arguments went out as deltas
                }
                case ToolCallEvent.Content c -> throw new IllegalStateException("content comes as pieces");
            }
            ObjectNode c = chunk();
            ObjectNode choice = c.withArray("choices").addObject().put("index", 0);
            choice.putObject("delta").putArray("tool_calls").add(call);
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
            choice.put("finish_reason", finishReason(d.reason(), calls));
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
