package dev.parley.server.dialect.parley;

import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.Messages;
import dev.parley.server.api.RequestBody;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import dev.parley.server.files.Attachments;
import dev.parley.server.threads.FileStore;
import io.helidon.webserver.http.HttpRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The stateless conversation API, {@code POST /api/v1/conversation}: the whole history each time
 * ({@code messages}, each may reference uploaded files by id in {@code files}), an optional {@code system_prompt} put first, {@code enable_thinking}, Parley's
 * generation options; {@code stream: true} answers Parley's named events (content, thinking, done,
 * error), otherwise {@code {text, thinking, finish_reason, usage}}. Errors take Parley's shape.
 */
public final class ConversationRequests implements Dialect {

    private static final Set<String> FIELDS = RequestBody.fields(OptionFields.FIELDS,
            Set.of("messages", "system_prompt", "stream", "enable_thinking", "model"));

    private final FileStore files;

    public ConversationRequests(FileStore files) {
        this.files = files;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/api/v1/", ParleyErrors.SHAPE);
        rules.post("/api/v1/conversation", endpoints.turn(ParleyErrors.SHAPE, this::parse));
    }

    private Call parse(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(FIELDS);
        List<Map<String, Object>> messages = new ArrayList<>();
        String system = b.optionalString("system_prompt");
        if (system != null && !system.isEmpty()) {
            messages.add(Map.of("role", "system", "content", system));
        }
        var parsed = Messages.parse(b.get("messages"), "messages", new Messages.FileReferences(new Attachments(files, in.owner()), true, false));
        messages.addAll(parsed.messages());
        Prompt prompt = new Prompt.Chat(messages, true, b.optionalBool("enable_thinking"), null, Map.of());
        boolean stream = b.bool("stream", false);
        return new Call(in.turn(new Turn.Given(prompt, parsed.documents()), OptionFields.parse(b, in.limits()), ContextOverflow.parse(b), null),
                stream ? ParleyEvents.streaming(in.requestId()) : ParleyEvents.whole(in.requestId(), false));
    }
}
