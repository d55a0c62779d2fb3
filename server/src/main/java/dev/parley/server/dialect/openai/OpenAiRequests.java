package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.format.ChatFormat;
import dev.parley.runtime.format.Thinking;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.Messages;
import dev.parley.server.api.RequestBody;
import dev.parley.server.api.SamplingFields;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import dev.parley.server.files.Attachments;
import dev.parley.server.files.FileUploads;
import dev.parley.server.threads.FileStore;
import dev.parley.server.threads.ThreadStore;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OpenAI-compatible API: {@code POST /v1/chat/completions}, {@code POST /v1/completions},
 * {@code POST /v1/responses} ({@link ResponsesRequests}), {@code GET /v1/models} and {@code GET /v1/models/{id}}. Reasoning comes back as {@code reasoning_content},
 * apart from {@code content}; tool calls as {@code tool_calls}. Unknown {@code /v1} paths answer 404 and
 * known paths with another method 405, both in OpenAI's error shape.
 */
public final class OpenAiRequests implements Dialect {

    /** Fields that change nothing here: accepted and ignored (docs/api.md lists them). */
    static final Set<String> IGNORED = Set.of("store", "metadata", "user", "service_tier", "safety_identifier");
    private static final Set<String> COMMON = RequestBody.fields(SamplingFields.NAMES, IGNORED, PromptCacheHints.FIELDS,
            Set.of("model", "max_tokens", "stop", "stream", "stream_options", "n", "grammar", "logprobs", "logit_bias",
                    ContextOverflow.FIELD, OptionFields.SPECULATIVE));
    private static final Set<String> CHAT = RequestBody.fields(COMMON, Set.of("messages", "max_completion_tokens", "response_format",
            "chat_template_kwargs", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort", "top_logprobs"));
    private static final Set<String> COMPLETION = RequestBody.fields(COMMON, Set.of("prompt"));

    private final ModelCard model;
    private final ChatFormat chatFormat;
    private final ResponsesRequests responses;
    private final int vocabularySize;
    private final FileStore files;
    private final OpenAiFiles fileRoutes;
    private final OpenAiConversations conversations;
    private final StoredResponses storedResponses;

    public OpenAiRequests(EngineClient engine, ThreadStore store, FileUploads uploads) {
        this(engine, store, uploads, dev.parley.server.models.ModelRouter.single(engine));
    }

    public OpenAiRequests(EngineClient engine, ThreadStore store, FileUploads uploads, dev.parley.server.models.ModelRouter router) {
        this.files = store.files();
        this.fileRoutes = new OpenAiFiles(store.files(), uploads);
        this.model = new ModelCard(engine, router);
        this.vocabularySize = engine.model().vocabularySize();
        this.chatFormat = engine.chatFormat();
        this.responses = new ResponsesRequests(model.id(), chatFormat, store).answering(model::answering);
        this.conversations = new OpenAiConversations(store);
        this.storedResponses = new StoredResponses(store, model.id());
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/v1/", OpenAiErrors.SHAPE);
        rules.post("/v1/chat/completions", endpoints.turn(OpenAiErrors.SHAPE, this::chat))
             .post("/v1/completions", endpoints.turn(OpenAiErrors.SHAPE, this::completion))
             .get("/v1/models", endpoints.handler(OpenAiErrors.SHAPE, (in, res) -> Json.send(res, 200, model.list())))
             .get("/v1/models/{id}", endpoints.handler(OpenAiErrors.SHAPE, (in, res) -> Json.send(res, 200, model.get(in.pathParam("id")))))
             .post("/v1/responses", endpoints.turn(OpenAiErrors.SHAPE, responses::parse));
        fileRoutes.register(rules, endpoints);
        conversations.register(rules, endpoints);
        storedResponses.register(rules, endpoints);
    }

    private Call chat(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(CHAT);
        b.optionalInt("n", 1, 1); // one choice per request
        var parsed = Messages.parse(asTemplateMessages(b.get("messages")), "messages",
                new Messages.FileReferences(new Attachments(files, in.owner()), false, true));
        var messages = parsed.messages();
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
        ChatTools tools = ChatTools.parse(b.get("tools"), b.get("tool_choice"), b.get("parallel_tool_calls"), chatFormat);
        String json = ResponseFormats.grammar(b.get("response_format"), "response_format", "json_schema.schema");
        String grammar = oneGrammar(b, tools.grammar(), "tool_choice", json, "response_format");
        thinking = Thinking.underForcedOutput(thinking, tools.grammar() != null || json != null);
        Prompt prompt = new Prompt.Chat(messages, true, thinking, tools.templateTools(), kwargs);
        OptionsAndStream o = options(in, true, grammar);
        String id = "chatcmpl-" + in.requestId();
        var format = new OpenAiFormat(id, model.answering(in.model()), true, o.stream, o.usage, o.options.topLogprobs() >= 0);
        PromptCacheHints cache = PromptCacheHints.parse(b);
        return new Call(in.turn(id, new Turn.Given(prompt, parsed.documents()), cache.applyTo(o.options), o.overflow, cache.conversation(null)), format,
                tools.toolCalls());
    }

    private Call completion(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(COMPLETION);
        b.optionalInt("n", 1, 1);
        OptionsAndStream o = options(in, false, b.optionalString("grammar"));
        String id = "cmpl-" + in.requestId();
        var format = new OpenAiFormat(id, model.answering(in.model()), false, o.stream, o.usage, o.options.topLogprobs() >= 0);
        PromptCacheHints cache = PromptCacheHints.parse(b);
        return new Call(in.turn(id, new Turn.Given(completionPrompt(b.get("prompt"))), cache.applyTo(o.options), o.overflow, cache.conversation(null)), format);
    }

    /**
     * {@code prompt}: a string (used raw), a list of token ids, or a list holding one of those. Several
     * prompts in one request would be several completions: one request each, here.
     */
    static Prompt completionPrompt(JsonNode p) {
        if (p != null && p.isArray() && p.size() == 1 && (p.get(0).isTextual() || p.get(0).isArray())) {
            p = p.get(0);
        }
        if (p != null && p.isTextual() && !p.textValue().isEmpty()) {
            return new Prompt.Raw(p.textValue());
        }
        if (p != null && p.isArray() && !p.isEmpty() && allInts(p)) {
            int[] ids = new int[p.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = p.get(i).intValue();
            }
            return new Prompt.Tokens(ids);
        }
        if (p != null && p.isArray() && p.size() > 1) {
            throw ApiError.badRequest("prompt", "field 'prompt' holds " + p.size() + " prompts; Parley completes one per request: send one request each");
        }
        throw ApiError.badRequest("prompt", "field 'prompt' is required: a non-empty string, a list of token ids, or a list holding one of those");
    }

    private static boolean allInts(JsonNode list) {
        for (JsonNode n : list) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                return false;
            }
        }
        return true;
    }

    /** Message fields OpenAI's own replies carry, which clients send back as they got them; empty, they say nothing. */
    private static final List<String> EMPTY_REPLY_FIELDS = List.of("refusal", "annotations", "audio", "function_call");

    /**
     * OpenAI's messages in the template's terms: the {@code developer} role is the system prompt of models
     * that have no developer role, and reply fields sent back empty ({@code "refusal": null}) are dropped.
     */
    static JsonNode asTemplateMessages(JsonNode messages) {
        if (messages == null || !messages.isArray()) {
            return messages;
        }
        ArrayNode copy = messages.deepCopy();
        for (JsonNode m : copy) {
            if (m instanceof ObjectNode o) {
                if ("developer".equals(o.path("role").asText())) {
                    o.put("role", "system");
                }
                for (String f : EMPTY_REPLY_FIELDS) {
                    JsonNode v = o.get(f);
                    if (v != null && (v.isNull() || v.isEmpty() && v.isContainerNode())) {
                        o.remove(f);
                    }
                }
            }
        }
        return copy;
    }

    /** At most one of the request's ways to constrain the output. */
    static String oneGrammar(RequestBody b, String first, String firstField, String second, String secondField) {
        String own = b.optionalString("grammar");
        int given = (first != null ? 1 : 0) + (second != null ? 1 : 0) + (own != null ? 1 : 0);
        if (given > 1) {
            throw ApiError.badRequest(first != null ? firstField : secondField, "only one of 'grammar', response_format (json) and a forced "
                    + "tool_choice (required or a function) can constrain one reply");
        }
        return first != null ? first : second != null ? second : own;
    }

    private record OptionsAndStream(GenerationOptions options, ContextOverflow overflow, boolean stream, boolean usage) {}

    private OptionsAndStream options(Incoming in, boolean chat, String grammar) {
        RequestBody b = in.body();
        int max = chat ? OptionFields.maxTokens(b, in.limits(), "max_completion_tokens", "max_tokens")
                : OptionFields.maxTokens(b, in.limits(), "max_tokens");
        boolean stream = b.bool("stream", false);
        boolean usage = false;
        JsonNode so = b.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject() || (so.has("include_usage") && !so.get("include_usage").isBoolean())) {
                throw ApiError.badRequest("stream_options", "field 'stream_options' must be {\"include_usage\": true|false}");
            }
            usage = so.path("include_usage").asBoolean(false);
        }
        List<String> stop = b.optionalStrings("stop", true, 4);
        int top = chat ? LogprobFields.chatTopLogprobs(b) : LogprobFields.completionTopLogprobs(b);
        var bias = LogprobFields.logitBias(b, vocabularySize);
        GenerationOptions options = new GenerationOptions(max, SamplingFields.parse(b), stop, grammar).withLogprobs(top).withLogitBias(bias)
                .withSpeculative(OptionFields.speculative(b));
        return new OptionsAndStream(options, ContextOverflow.parse(b), stream, usage);
    }
}
