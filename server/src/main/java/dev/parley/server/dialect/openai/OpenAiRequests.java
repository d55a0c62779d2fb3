package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.Messages;
import dev.parley.server.api.RequestBody;
import dev.parley.server.api.SamplingFields;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.GenerationOptions;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.Turn;
import io.helidon.webserver.http.HttpRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The OpenAI-compatible API: {@code POST /v1/chat/completions}, {@code POST /v1/completions} and
 * {@code GET /v1/models}. Reasoning comes back as {@code reasoning_content}, apart from {@code content}.
 */
public final class OpenAiRequests implements Dialect {

    private static final Set<String> COMMON = RequestBody.fields(SamplingFields.NAMES,
            Set.of("model", "max_tokens", "stop", "stream", "stream_options", "n", "user", "grammar", ContextOverflow.FIELD));
    private static final Set<String> CHAT = RequestBody.fields(COMMON, Set.of("messages", "max_completion_tokens", "response_format",
            "chat_template_kwargs", "tools", "tool_choice", "reasoning_effort"));
    private static final Set<String> COMPLETION = RequestBody.fields(COMMON, Set.of("prompt"));

    private final String modelId;
    private final long created = System.currentTimeMillis() / 1000;
    private final String jsonGrammar;

    public OpenAiRequests(Engine engine, Path llamaSource) {
        this.modelId = engine.model().name();
        this.jsonGrammar = readGrammar(llamaSource);
    }

    private static String readGrammar(Path llamaSource) {
        try {
            return Files.readString(llamaSource.resolve("grammars/json.gbnf"));
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/v1/", OpenAiErrors.SHAPE);
        rules.post("/v1/chat/completions", endpoints.turn(OpenAiErrors.SHAPE, this::chat))
             .post("/v1/completions", endpoints.turn(OpenAiErrors.SHAPE, this::completion))
             .get("/v1/models", endpoints.handler(OpenAiErrors.SHAPE, (in, res) -> Json.send(res, 200, models())));
    }

    private ObjectNode models() {
        ObjectNode r = Json.object();
        r.put("object", "list");
        r.putArray("data").addObject().put("id", modelId).put("object", "model").put("created", created).put("owned_by", "parley");
        return r;
    }

    private Call chat(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(CHAT);
        var messages = Messages.parse(b.get("messages"), "messages");
        Boolean thinking = null;
        Map<String, Object> kwargs = new HashMap<>();
        JsonNode k = b.get("chat_template_kwargs");
        if (k != null && !k.isNull()) {
            if (!k.isObject()) {
                throw ApiError.badRequest("chat_template_kwargs", "field 'chat_template_kwargs' must be an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = Json.MAPPER.convertValue(k, Map.class);
            kwargs.putAll(m);
            if (kwargs.get("enable_thinking") instanceof Boolean t) {
                thinking = t;
                kwargs.remove("enable_thinking");
            }
        }
        Prompt prompt = new Prompt.Chat(messages, true, thinking, Messages.tools(b.get("tools")), kwargs);
        return call(in, "chatcmpl-", true, prompt, responseFormatGrammar(b));
    }

    private Call completion(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(COMPLETION);
        String prompt = b.optionalString("prompt");
        if (prompt == null || prompt.isEmpty()) {
            throw ApiError.badRequest("prompt", "field 'prompt' is required: a non-empty string");
        }
        return call(in, "cmpl-", false, new Prompt.Raw(prompt), null);
    }

    private Call call(Incoming in, String idPrefix, boolean chat, Prompt prompt, String grammar) {
        RequestBody b = in.body();
        b.optionalInt("n", 1, 1); // one choice per request
        int max = chat ? GenerationOptions.maxTokens(b, in.limits(), "max_completion_tokens", "max_tokens")
                : GenerationOptions.maxTokens(b, in.limits(), "max_tokens");
        boolean stream = b.bool("stream", false);
        boolean usage = false;
        JsonNode so = b.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject() || (so.has("include_usage") && !so.get("include_usage").isBoolean())) {
                throw ApiError.badRequest("stream_options", "field 'stream_options' must be {\"include_usage\": true|false}");
            }
            usage = so.path("include_usage").asBoolean(false);
        }
        GenerationOptions options = new GenerationOptions(max, SamplingFields.parse(b), b.optionalStrings("stop", true, 4),
                grammar != null ? grammar : b.optionalString("grammar"), ContextOverflow.parse(b));
        String id = idPrefix + in.requestId();
        return new Call(in.turn(id, new Turn.Given(prompt), options, null), new OpenAiFormat(id, modelId, chat, stream, usage));
    }

    /** response_format: json_object constrains the output to JSON with llama.cpp's JSON grammar. */
    private String responseFormatGrammar(RequestBody b) {
        JsonNode rf = b.get("response_format");
        if (rf == null || rf.isNull()) {
            return null;
        }
        return switch (rf.path("type").asText("")) {
            case "text" -> null;
            case "json_object" -> {
                if (jsonGrammar == null) {
                    throw new ApiError(400, "response_format json_object needs llama.cpp's grammars/json.gbnf, which this installation lacks", "response_format");
                }
                yield jsonGrammar;
            }
            case "json_schema" -> throw ApiError.badRequest("response_format",
                    "response_format json_schema is not supported yet: use json_object, or pass a GBNF grammar in 'grammar'");
            default -> throw ApiError.badRequest("response_format", "response_format.type must be text, json_object or json_schema");
        };
    }
}
