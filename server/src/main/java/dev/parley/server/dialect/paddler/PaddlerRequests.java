package dev.parley.server.dialect.paddler;

import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Messages;
import dev.parley.server.api.RequestBody;
import dev.parley.server.dialect.parley.ParleyErrors;
import dev.parley.server.dialect.parley.ParleyEvents;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import dev.parley.server.exchange.WireFormat;
import dev.parley.server.files.Attachments;
import dev.parley.server.threads.FileStore;
import io.helidon.webserver.http.HttpRules;
import java.util.Map;
import java.util.Set;

/**
 * Paddler's API: {@code POST /api/v1/continue_from_conversation_history} and
 * {@code POST /api/v1/continue_from_raw_prompt}. Answers NDJSON, or Parley's server-sent events to a
 * client that accepts text/event-stream.
 */
public final class PaddlerRequests implements Dialect {

    private static final Set<String> HISTORY_FIELDS = RequestBody.fields(OptionFields.FIELDS,
            Set.of("conversation_history", "add_generation_prompt", "enable_thinking"));
    private static final Set<String> RAW_FIELDS = RequestBody.fields(OptionFields.FIELDS, Set.of("raw_prompt"));

    private final FileStore files;

    public PaddlerRequests(FileStore files) {
        this.files = files;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/api/v1/", ParleyErrors.SHAPE);
        rules.post("/api/v1/continue_from_conversation_history", endpoints.turn(ParleyErrors.SHAPE, this::history))
             .post("/api/v1/continue_from_raw_prompt", endpoints.turn(ParleyErrors.SHAPE, this::raw));
    }

    private Call history(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(HISTORY_FIELDS);
        var parsed = Messages.parse(b.get("conversation_history"), "conversation_history",
                new Messages.FileReferences(new Attachments(files, in.owner()), true, false));
        Prompt prompt = new Prompt.Chat(parsed.messages(), b.bool("add_generation_prompt", true), b.optionalBool("enable_thinking"), null,
                Map.of());
        return call(in, new Turn.Given(prompt, parsed.documents()));
    }

    private Call raw(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(RAW_FIELDS);
        String raw = b.optionalString("raw_prompt");
        if (raw == null) {
            throw ApiError.badRequest("raw_prompt", "field 'raw_prompt' is required: the prompt text");
        }
        if (raw.isEmpty()) {
            throw ApiError.badRequest("raw_prompt", "field 'raw_prompt' is empty");
        }
        return call(in, new Turn.Given(new Prompt.Raw(raw)));
    }

    private static Call call(Incoming in, Turn.Given source) {
        Turn turn = in.turn(source, OptionFields.parse(in.body(), in.limits()), ContextOverflow.parse(in.body()), null);
        WireFormat format = in.accepts("text/event-stream") ? ParleyEvents.streaming(in.requestId()) : new PaddlerNdjson(in.requestId());
        return new Call(turn, format);
    }
}
