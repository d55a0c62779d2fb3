package dev.parley.server.dialect.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.format.ChatFormat;
import dev.parley.runtime.format.Thinking;
import dev.parley.runtime.jsonschema.JsonSchemaGrammar;
import dev.parley.runtime.jsonschema.SchemaException;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import dev.parley.server.dialect.openai.ChatTools;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import dev.parley.server.modelref.ModelResolver;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Ollama's API: {@code POST /api/chat} and {@code /api/generate} (streaming NDJSON by default,
 * {@code "stream": false} for one object; {@code think}, {@code format}, {@code options}), and
 * {@code GET /api/tags}, {@code POST /api/show}, {@code GET /api/ps}, {@code GET /api/version}
 * describing the one loaded model, and {@code POST /api/pull} fetching a model into the cache ({@link OllamaPull}). As Ollama does, unknown fields and options are ignored; known ones
 * of the wrong type or range are a 400 {@code {"error": ...}}. Any model name is answered by the loaded
 * model. Chat {@code tools} are OpenAI's shape and read by the same {@link ChatTools}: the reply's calls
 * come back parsed in {@code message.tool_calls}. Parley's extensions: {@code grammar} (GBNF), instead of
 * {@code format}, and {@code tool_choice} with {@code parallel_tool_calls} (OpenAI's), to force a call.
 */
public final class OllamaService implements Dialect {

    /** The Ollama API version whose shapes this dialect follows (clients gate features on it). */
    static final String API_VERSION = "0.12.0";

    private static final Set<String> THINK_LEVELS = Set.of("low", "medium", "high", "max");

    private final OllamaModels models;
    private final ChatFormat chatFormat;

    private final OllamaPull pull;

    /** With several models: what /api/tags and /api/ps list; null with one. */
    private final OllamaCatalog catalog;
    private final dev.parley.server.models.ModelRouter router;

    public OllamaService(EngineClient engine, ModelResolver resolver) {
        this(engine, resolver, dev.parley.server.models.ModelRouter.single(engine));
    }

    public OllamaService(EngineClient engine, ModelResolver resolver, dev.parley.server.models.ModelRouter router) {
        this.router = router;
        this.catalog = router.registry() == null ? null : new OllamaCatalog(router.registry());
        this.models = new OllamaModels(engine);
        this.pull = new OllamaPull(resolver);
        this.chatFormat = engine.chatFormat();
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        var errors = OllamaNdjson.ERRORS;
        // the rest of /api/ is Ollama's too (Parley's own routes are under /api/v1/): ollama-js reads only this shape
        endpoints.owns("/api/", errors);
        rules.post("/api/chat", endpoints.turnOrAnswer(errors, this::chat))
             .post("/api/generate", endpoints.turnOrAnswer(errors, this::generate))
             .get("/api/tags", endpoints.handler(errors, (in, res) -> Json.send(res, 200, catalog != null ? catalog.tags() : models.tags())))
             .get("/api/ps", endpoints.handler(errors, (in, res) -> Json.send(res, 200, catalog != null ? catalog.running() : models.running())))
             .post("/api/show", endpoints.handler(errors, this::show))
             .post("/api/pull", endpoints.handler(errors, pull::handle))
             .get("/api/version", endpoints.handler(errors, (in, res) -> Json.send(res, 200, Json.object().put("version", API_VERSION))));
    }

    // ---- chat and generate: turns ----

    private Call chat(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        String model = model(b);
        java.time.Duration keepAlive = KeepAlive.parse(b.get("keep_alive"));
        JsonNode list = b.get("messages");
        if (list == null || list.isNull() || list.isArray() && list.isEmpty()) {
            return loaded(res, model, keepAlive, new OllamaNdjson(true, false, model)); // Ollama's "load a model" request
        }
        if (!list.isArray()) {
            throw ApiError.badRequest("messages", "field 'messages' must be a list of messages, got " + list);
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            messages.add(message(list.get(i), "messages[" + i + "]"));
        }
        ChatTools tools = ChatTools.parse(b.get("tools"), b.get("tool_choice"), b.get("parallel_tool_calls"), chatFormat);
        Boolean thinking = Thinking.underForcedOutput(think(b), tools.grammar() != null);
        Prompt chat = new Prompt.Chat(messages, true, thinking, tools.templateTools(), Map.of());
        GenerationOptions options = options(b, in, tools.grammar());
        return new Call(in.turn(new Turn.Given(chat), options, null, null).withKeepAlive(keepAlive), new OllamaNdjson(true, b.bool("stream", true), model),
                tools.toolCalls());
    }

    private Call generate(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        String model = model(b);
        java.time.Duration keepAlive = KeepAlive.parse(b.get("keep_alive"));
        String prompt = b.optionalString("prompt");
        refuse(b, "suffix", "fill-in-the-middle (suffix) is not supported");
        refuse(b, "template", "template overrides are not supported: the model's own chat template is used");
        refuseImages(b.get("images"), "images");
        if (prompt == null || prompt.isEmpty()) {
            return loaded(res, model, keepAlive, new OllamaNdjson(false, false, model));
        }
        Prompt p;
        if (b.bool("raw", false)) {
            p = new Prompt.Raw(prompt);
        } else {
            List<Map<String, Object>> messages = new ArrayList<>();
            String system = b.optionalString("system");
            if (system != null && !system.isEmpty()) {
                messages.add(Map.of("role", "system", "content", system));
            }
            messages.add(Map.of("role", "user", "content", prompt));
            p = Prompt.Chat.of(messages, think(b));
        }
        return call(in, b, p, new OllamaNdjson(false, b.bool("stream", true), model), keepAlive);
    }

    private Call call(Incoming in, RequestBody b, Prompt prompt, OllamaNdjson format, java.time.Duration keepAlive) {
        return new Call(in.turn(new Turn.Given(prompt), options(b, in, null), null, null).withKeepAlive(keepAlive), format);
    }

    /**
     * A request with nothing to generate loads the model in Ollama (with keep_alive 0 it unloads it); with one
     * model Parley's is always loaded: done at once.
     */
    private Call loaded(ServerResponse res, String model, java.time.Duration keepAlive, OllamaNdjson format) {
        try {
            router.acquire(model, keepAlive).close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "interrupted while loading " + model, "model");
        }
        ObjectNode body = format.answer("", null, true);
        body.put("done_reason", "load");
        Json.send(res, 200, body);
        return null;
    }

    private String model(RequestBody b) {
        String model = b.optionalString("model");
        if (model == null || model.isBlank()) {
            throw ApiError.badRequest("model", "model is required");
        }
        return model;
    }

    /** {@code think}: true or false, or a level (low, medium, high, max), which turns thinking on. */
    private static Boolean think(RequestBody b) {
        JsonNode t = b.get("think");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isBoolean()) {
            return t.booleanValue();
        }
        if (t.isTextual() && THINK_LEVELS.contains(t.textValue())) {
            return true;
        }
        throw ApiError.badRequest("think", "think must be true, false, \"low\", \"medium\", \"high\" or \"max\", got " + t);
    }

    /** One chat message: role, content, and the template fields Ollama's names map to. */
    private static Map<String, Object> message(JsonNode m, String at) {
        if (!m.isObject()) {
            throw ApiError.badRequest(at, at + " must be an object with role and content, got " + m);
        }
        String role = m.path("role").asText("");
        if (!m.path("role").isTextual() || !Set.of("system", "user", "assistant", "tool").contains(role)) {
            throw ApiError.badRequest(at + ".role", at + ".role must be system, user, assistant or tool, got " + m.get("role"));
        }
        refuseImages(m.get("images"), at + ".images");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", role);
        out.put("content", text(m, "content", at));
        String thinking = text(m, "thinking", at);
        if (!thinking.isEmpty()) {
            out.put("reasoning_content", thinking);
        }
        String toolName = text(m, "tool_name", at);
        if (!toolName.isEmpty()) {
            out.put("name", toolName);
        }
        JsonNode calls = m.get("tool_calls");
        if (calls != null && !calls.isNull()) {
            out.put("tool_calls", toolCalls(calls, at + ".tool_calls"));
        }
        return out;
    }

    /**
     * An assistant message's earlier calls, Ollama's shape: {@code [{"function": {"name", "arguments": {...}}}]}
     * (arguments an object, as Ollama sends them). They reach the template as given, so it renders the
     * call in the model's own markup.
     */
    private static List<Object> toolCalls(JsonNode calls, String at) {
        if (!calls.isArray()) {
            throw ApiError.badRequest(at, at + " must be a list of {\"function\": {\"name\", \"arguments\"}}");
        }
        for (int i = 0; i < calls.size(); i++) {
            JsonNode f = calls.get(i).path("function");
            String here = at + "[" + i + "].function";
            if (!f.isObject() || !f.path("name").isTextual() || f.path("name").textValue().isBlank()) {
                throw ApiError.badRequest(here, here + " must be an object with the function's name");
            }
            JsonNode args = f.get("arguments");
            if (args != null && !args.isNull() && !args.isObject()) {
                throw ApiError.badRequest(here + ".arguments", here + ".arguments must be an object, got " + args);
            }
        }
        return Json.MAPPER.convertValue(calls, List.class);
    }

    private static String text(JsonNode m, String field, String at) {
        JsonNode v = m.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw ApiError.badRequest(at + "." + field, at + "." + field + " must be a string, got " + v);
        }
        return v.textValue();
    }

    private static void refuseImages(JsonNode images, String field) {
        if (images != null && !images.isNull() && !(images.isArray() && images.isEmpty())) {
            throw ApiError.badRequest(field, field + ": images are not supported, Parley's models read text only");
        }
    }

    private static void refuse(RequestBody b, String field, String why) {
        JsonNode v = b.get(field);
        if (v != null && !v.isNull() && !(v.isTextual() && v.textValue().isEmpty())) {
            throw ApiError.badRequest(field, why);
        }
    }

    // ---- options and format ----

    /** Ollama's option names that mean the same as Parley's sampling fields. */
    private static final Set<String> SAMPLING = Set.of("temperature", "top_k", "top_p", "min_p", "seed", "repeat_penalty",
            "repeat_last_n", "presence_penalty", "frequency_penalty");

    /**
     * {@code options}: {@code num_predict} (-1 or -2: the server's largest {@code max_tokens}), the sampling
     * options Parley has, and {@code stop}; the others (num_ctx, num_gpu, mirostat, typical_p, ...) are
     * ignored as the server's own settings. {@code format}: "json" or a JSON schema, as a grammar.
     */
    private GenerationOptions options(RequestBody b, Incoming in, String toolGrammar) {
        JsonNode options = b.get("options");
        ObjectNode parley = Json.object();
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw ApiError.badRequest("options", "options must be an object, got " + options);
            }
            options.properties().forEach(e -> {
                if (SAMPLING.contains(e.getKey()) || e.getKey().equals("stop")) {
                    parley.set(e.getKey(), e.getValue());
                }
            });
            JsonNode n = options.get("num_predict");
            if (n != null && !n.isNull()) {
                if (!n.isIntegralNumber()) {
                    throw ApiError.badRequest("options.num_predict", "options.num_predict must be a whole number, got " + n);
                }
                parley.put("max_tokens", n.longValue() < 0 ? in.limits().maxTokens() : n.longValue());
            }
        }
        String grammar = format(b.get("format"));
        String own = b.optionalString("grammar"); // Parley's extension: a GBNF grammar, as on its other APIs
        if (own != null && grammar != null) {
            throw ApiError.badRequest("grammar", "send either format or grammar, not both");
        }
        grammar = grammar != null ? grammar : own;
        if (toolGrammar != null && grammar != null) {
            throw ApiError.badRequest("tool_choice", "a forced tool_choice constrains the reply itself: leave out format and grammar");
        }
        grammar = grammar != null ? grammar : toolGrammar;
        if (grammar != null) {
            parley.put("grammar", grammar);
        }
        try {
            return OptionFields.parse(RequestBody.parse(Json.bytes(parley)), in.limits());
        } catch (ApiError e) {
            String field = "max_tokens".equals(e.param()) ? "num_predict" : e.param();
            throw new ApiError(e.status(), "options: " + e.getMessage().replace("'max_tokens'", "'num_predict'"),
                    field == null ? "options" : "options." + field);
        }
    }

    private static String format(JsonNode f) {
        if (f == null || f.isNull() || f.isTextual() && f.textValue().isEmpty()) {
            return null;
        }
        if (f.isTextual() && f.textValue().equals("json")) {
            return JsonSchemaGrammar.anyObject();
        }
        if (!f.isObject()) {
            throw ApiError.badRequest("format", "format must be \"json\" or a JSON schema object, got " + f);
        }
        try {
            return JsonSchemaGrammar.fromSchema(f);
        } catch (SchemaException e) {
            throw ApiError.badRequest("format", "format: " + e.getMessage());
        }
    }

    // ---- model information ----

    private void show(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        String model = b.optionalString("model");
        if ((model == null || model.isBlank()) && b.optionalString("name") == null) {
            throw ApiError.badRequest("model", "model is required");
        }
        if (catalog == null) {
            Json.send(res, 200, models.show());
            return;
        }
        // with several models the facts come from the named one, loaded for the answer as Ollama does
        String name = model != null && !model.isBlank() ? model : b.optionalString("name");
        try (var held = router.hold(name, null)) {
            Json.send(res, 200, new OllamaModels(held.engine()).show());
        }
    }
}
