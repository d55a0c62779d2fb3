package dev.parley.server.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.format.ChatFormat;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import dev.parley.server.api.SamplingFields;
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
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Set;

/**
 * Anthropic's Messages API: {@code POST /v1/messages} (whole or streamed, see {@link AnthropicFormat}) and
 * {@code POST /v1/messages/count_tokens} ({@code {"input_tokens": N}} from the prompt the same request would
 * render). The dialect owns {@code /v1/messages}, so a 401 or any refusal before routing under it comes in
 * Anthropic's error shape ({@link AnthropicErrors}); its clients' {@code x-api-key} is one of Parley's
 * standard key headers. Parley's {@code grammar} field is accepted as an extension, as on the OpenAI routes.
 */
public final class AnthropicRequests implements Dialect {

    /** Fields that change nothing here: accepted and ignored (docs/api.md lists them). */
    private static final Set<String> IGNORED = Set.of("metadata", "service_tier", "inference_geo", "speed");
    private static final Set<String> PROMPT = Set.of("model", "messages", "system", "tools", "tool_choice", "thinking", "cache_control");
    private static final Set<String> CREATE = RequestBody.fields(PROMPT, IGNORED,
            Set.of("max_tokens", "stop_sequences", "stream", "temperature", "top_p", "top_k", "grammar"));

    private final EngineClient engine;
    private final FileStore files;
    private final ChatFormat chatFormat;

    private final dev.parley.server.models.ModelRouter router;

    /** The model an answer names: the loaded one's own name with one model, the requested (or default) name with several. */
    private String answering(String requested) {
        if (router.registry() == null) {
            return engine.model().name();
        }
        return requested != null ? requested : router.registry().catalog().defaultName();
    }

    public AnthropicRequests(EngineClient engine, FileStore files) {
        this(engine, files, dev.parley.server.models.ModelRouter.single(engine));
    }

    public AnthropicRequests(EngineClient engine, FileStore files, dev.parley.server.models.ModelRouter router) {
        this.router = router;
        this.engine = engine;
        this.files = files;
        this.chatFormat = engine.chatFormat();
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/v1/messages", AnthropicErrors.SHAPE);
        rules.post("/v1/messages", endpoints.turn(AnthropicErrors.SHAPE, this::create))
             .post("/v1/messages/count_tokens", endpoints.handler(AnthropicErrors.SHAPE, this::countTokens));
        // Other paths and methods under /v1/messages get their 404 or 405 from the route table, in this dialect's shape.
    }

    /** What one request's prompt is made of, shared by create and count_tokens so both render the same prompt. */
    private record Parsed(Prompt.Chat prompt, AnthropicMessages.Parsed messages, AnthropicTools tools) {}

    private Parsed prompt(Incoming in, RequestBody b) {
        version(in);
        AnthropicTools tools = AnthropicTools.parse(b.get("tools"), b.get("tool_choice"), chatFormat);
        JsonNode top = b.get("cache_control");
        boolean topMark = top != null && !top.isNull() && AnthropicMessages.cacheControl(b.root(), "");
        String model = b.optionalString("model");
        if (model != null && model.isBlank()) {
            throw ApiError.badRequest("model", "model: must be a model name");
        }
        var messages = AnthropicMessages.parse(b.get("system"), b.get("messages"), new Attachments(files, in.owner()), tools.marked(), topMark);
        Boolean thinking = thinking(b.get("thinking"));
        if (tools.forced()) {
            if (Boolean.TRUE.equals(thinking)) {
                // Anthropic refuses this too: a forced call must be the reply's first token, a thinking block would take it.
                throw ApiError.badRequest("thinking", "thinking may not be enabled when tool_choice forces tool use (any or tool)");
            }
            thinking = Boolean.FALSE;
        }
        Prompt.Chat chat = new Prompt.Chat(messages.messages(), true, thinking, tools.chat().templateTools(), Map.of());
        return new Parsed(chat, messages, tools);
    }

    private Call create(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(CREATE);
        if (!b.has("max_tokens")) {
            throw ApiError.badRequest("max_tokens", "max_tokens: field required");
        }
        Parsed p = prompt(in, b);
        b.optionalFloat("temperature", 0, 1); // Anthropic's range, before the shared sampling fields take it
        String grammar = b.optionalString("grammar");
        if (grammar != null && p.tools().chat().grammar() != null) {
            throw ApiError.badRequest("grammar", "only one of 'grammar' and a forced tool_choice (any or tool) can constrain one reply");
        }
        GenerationOptions options = new GenerationOptions(OptionFields.maxTokens(b, in.limits(), "max_tokens"), SamplingFields.parse(b),
                b.optionalStrings("stop_sequences", false, 16), grammar != null ? grammar : p.tools().chat().grammar());
        boolean stream = b.bool("stream", false);
        String id = "msg_" + in.requestId().replaceAll("[^A-Za-z0-9]", "");
        var source = new Turn.Given(p.prompt(), p.messages().documents(), p.messages().cachePrefixes());
        options = options.withCacheHints(AnthropicCacheHints.of(p.messages().cachePrefixes(), b.root()));
        return new Call(in.turn(id, source, options, ContextOverflow.ERROR, null), new AnthropicFormat(id, answering(in.model()), in.requestId(), stream),
                p.tools().chat().toolCalls());
    }

    private void countTokens(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        b.onlyFields(PROMPT);
        Parsed p = prompt(in, b);
        int tokens;
        try {
            tokens = engine.promptTokens(p.prompt());
        } catch (EngineException e) {
            throw ApiError.engine(e.code(), e.getMessage());
        }
        res.header("request-id", in.requestId());
        Json.send(res, 200, Json.object().put("input_tokens", tokens));
    }

    /** {@code thinking}: enabled / disabled switch the template's thinking; adaptive (or none) leaves the template's default. */
    private static Boolean thinking(JsonNode t) {
        if (t == null || t.isNull()) {
            return null;
        }
        String type = t.isObject() ? t.path("type").asText() : "";
        for (var it = t.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("type") && !(f.equals("budget_tokens") && type.equals("enabled")) && !(f.equals("display") && !type.equals("disabled"))) {
                throw ApiError.badRequest("thinking", "thinking." + Echo.text(f) + ": extra inputs are not permitted");
            }
        }
        switch (type) {
            case "enabled" -> {
                JsonNode budget = t.get("budget_tokens");
                if (budget == null || !budget.isIntegralNumber() || !budget.canConvertToInt() || budget.intValue() < 1) {
                    throw ApiError.badRequest("thinking", "thinking.budget_tokens: field required: a whole number of tokens (accepted, not enforced: "
                            + "thinking counts toward max_tokens)");
                }
                return Boolean.TRUE;
            }
            case "disabled" -> {
                return Boolean.FALSE;
            }
            case "adaptive" -> {
                return null;
            }
            default -> throw ApiError.badRequest("thinking", "thinking: must be {\"type\": \"enabled\", \"budget_tokens\": N}, {\"type\": \"disabled\"} "
                    + "or {\"type\": \"adaptive\"}, got " + AnthropicMessages.echo(t));
        }
    }

    /** The {@code anthropic-version} header: any dated version is accepted (the API's shape here is 2023-06-01's); none is fine too. */
    private static void version(Incoming in) {
        String v = in.http().headers().first(io.helidon.http.HeaderNames.create("anthropic-version")).orElse(null);
        if (v != null && !v.strip().matches("\\d{4}-\\d{2}-\\d{2}")) {
            throw ApiError.badRequest(null, "anthropic-version: " + Echo.text(v) + " is not a valid version (use 2023-06-01)");
        }
    }
}
