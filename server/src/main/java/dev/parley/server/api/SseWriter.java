package dev.parley.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Parley's server-sent events: {@code content} and {@code thinking} (text deltas), {@code done}
 * (finish reason, usage, stored message id) and {@code error} (code, description); each flushed.
 */
public final class SseWriter {

    private final OutputStream out;

    public SseWriter(OutputStream out) {
        this.out = out;
    }

    /** A piece as a content or thinking event (markers are left out: the channel says which it is). */
    public void piece(GenerationEvent.Piece p) throws IOException {
        if (!p.text().isEmpty()) {
            event(p.channel() == GenerationEvent.Channel.REASONING ? "thinking" : "content", Json.object().put("text", p.text()));
        }
    }

    public void done(GenerationEvent.Done d, String messageId) throws IOException {
        ObjectNode data = Json.object().put("finish_reason", d.reason().wireName());
        data.set("usage", usage(d.usage()));
        if (messageId == null) {
            data.putNull("message_id");
        } else {
            data.put("message_id", messageId);
        }
        event("done", data);
    }

    public void error(int code, String description) throws IOException {
        event("error", Json.object().put("code", code).put("description", description));
    }

    private void event(String name, ObjectNode data) throws IOException {
        out.write(("event: " + name + "\ndata: ").getBytes(StandardCharsets.UTF_8));
        out.write(Json.bytes(data));
        out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Parley's usage object: prompt, cached prompt, completion and reasoning tokens. */
    public static ObjectNode usage(GenerationEvent.Usage u) {
        return Json.object().put("prompt_tokens", u.promptTokens()).put("cached_prompt_tokens", u.cachedPromptTokens())
                .put("completion_tokens", u.generatedTokens()).put("reasoning_tokens", u.reasoningTokens());
    }
}
