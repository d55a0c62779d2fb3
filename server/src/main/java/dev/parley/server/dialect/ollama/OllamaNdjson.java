package dev.parley.server.dialect.ollama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.tools.ToolCall;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.ErrorShape;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WholeReply;
import dev.parley.server.exchange.WireFormat;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Ollama's answers to {@code /api/chat} and {@code /api/generate}. Streaming: newline-delimited JSON, one
 * object flushed per piece ({@code {"model", "created_at", "message": {"role": "assistant", "content",
 * "thinking"}, "done": false}} for chat; {@code "response"} and {@code "thinking"} at the top for
 * generate), then a last object with {@code "done": true}, {@code done_reason} and the counts and
 * durations (nanoseconds). Whole ({@code "stream": false}): that last object carrying the whole text.
 * Tool calls (chat with {@code tools}) are {@code message.tool_calls}, {@code [{"function": {"name",
 * "arguments": {...}}}]} with the arguments as an object: streamed as Ollama streams them, each whole
 * call in an object of its own once its arguments are complete; whole, in the last object's message.
 * Errors: {@code {"error": "..."}}, with the status before the answer starts, as the last line after.
 *
 * @param model the model name the client asked for, echoed as Ollama does
 */
public record OllamaNdjson(boolean chat, boolean stream, String model) implements WireFormat {

    public static final ErrorShape ERRORS = (requestId, e) -> Json.object().put("error", e.getMessage());

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) {
        if (!stream) {
            return new Whole(new WholeJson(res));
        }
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson");
        return new Lines(res.outputStream());
    }

    /** An answer object with text in the content (or response) and thinking fields; null leaves a field out. */
    ObjectNode answer(String content, String thinking, boolean done) {
        ObjectNode o = Json.object().put("model", model).put("created_at", Instant.now().toString());
        if (chat) {
            ObjectNode m = o.putObject("message").put("role", "assistant").put("content", content);
            if (thinking != null) {
                m.put("thinking", thinking);
            }
        } else {
            o.put("response", content);
            if (thinking != null) {
                o.put("thinking", thinking);
            }
        }
        o.put("done", done);
        return o;
    }

    /** Adds {@code call} to {@code message.tool_calls} in Ollama's shape: the arguments as a JSON object. */
    static void addToolCall(ObjectNode message, ToolCall call) {
        ArrayNode calls = message.withArray("tool_calls");
        ObjectNode function = calls.addObject().putObject("function").put("name", call.name());
        JsonNode args;
        try {
            args = Json.MAPPER.readTree(call.argumentsJson());
        } catch (JsonProcessingException e) {
            args = null; // the parser hands on only complete JSON; should it not, the text is kept rather than lost
        }
        if (args != null && args.isObject()) {
            function.set("arguments", args);
        } else {
            function.put("arguments", call.argumentsJson());
        }
    }

    /** The last object's fields: why it ended, token counts, durations in nanoseconds (the model was already loaded). */
    static void finish(ObjectNode o, GenerationEvent.Done d) {
        GenerationEvent.Usage u = d.usage();
        o.put("done_reason", d.reason() == GenerationEvent.FinishReason.LENGTH ? "length" : "stop");
        o.put("total_duration", (u.queueMillis() + u.prefillMillis() + u.generationMillis()) * 1_000_000L);
        o.put("load_duration", 0);
        o.put("prompt_eval_count", u.promptTokens());
        o.put("prompt_eval_duration", u.prefillMillis() * 1_000_000L);
        o.put("eval_count", u.generatedTokens());
        o.put("eval_duration", u.generationMillis() * 1_000_000L);
    }

    private final class Lines implements EventWriter {
        private final OutputStream out;

        Lines(OutputStream out) {
            this.out = out;
        }

        @Override
        public void piece(GenerationEvent.Piece p) throws IOException {
            if (p.text().isEmpty()) {
                return;
            }
            boolean reasoning = p.channel() == GenerationEvent.Channel.REASONING;
            out.write(Json.line(answer(reasoning ? "" : p.text(), reasoning ? p.text() : null, false)));
            out.flush();
        }

        @Override
        public void toolCall(ToolCallEvent e) throws IOException {
            if (e instanceof ToolCallEvent.CallFinished f) {
                ObjectNode o = answer("", null, false);
                addToolCall((ObjectNode) o.get("message"), f.call());
                out.write(Json.line(o));
                out.flush();
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode last = answer("", null, true);
            finish(last, d);
            out.write(Json.line(last));
            out.close();
        }

        @Override
        public void failed(ApiError e) throws IOException {
            out.write(Json.line(ERRORS.body(null, e)));
            out.close();
        }
    }

    private final class Whole extends WholeReply {

        private final List<ToolCall> calls = new ArrayList<>();

        Whole(WholeJson json) {
            super(json);
        }

        @Override
        public void toolCall(ToolCallEvent e) {
            if (e instanceof ToolCallEvent.CallFinished f) {
                calls.add(f.call());
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            ObjectNode body = answer(text.toString(), thinking.isEmpty() ? null : thinking.toString(), true);
            for (ToolCall c : calls) {
                addToolCall((ObjectNode) body.get("message"), c);
            }
            finish(body, d);
            json.send(200, body);
        }

        @Override
        public void failed(ApiError e) throws IOException {
            json.send(e.status(), ERRORS.body(null, e));
        }

    }
}
