package dev.parley.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OpenAI-compatible API: {@code POST /v1/chat/completions}, {@code POST /v1/completions} and
 * {@code GET /v1/models}, streaming over server-sent events, errors in OpenAI's shape. Reasoning comes
 * back as {@code reasoning_content}, apart from {@code content}.
 */
public final class OpenAiApi {

    private static final System.Logger LOG = System.getLogger("parley.api");

    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "stop", "seed", "stream",
            "stream_options", "n", "user", "presence_penalty", "frequency_penalty", "top_k", "min_p", "repeat_penalty", "grammar");
    private static final Set<String> CHAT = RequestBody.fields(COMMON, Set.of("messages", "max_completion_tokens", "response_format",
            "chat_template_kwargs", "tools", "tool_choice", "reasoning_effort"));
    private static final Set<String> COMPLETION = RequestBody.fields(COMMON, Set.of("prompt"));

    private final Engine engine;
    private final ConversationApi.Limits limits;
    private final String modelId;
    private final long created = System.currentTimeMillis() / 1000;
    private final String jsonGrammar;

    public OpenAiApi(Engine engine, ConversationApi.Limits limits, Path llamaSource) {
        this.engine = engine;
        this.limits = limits;
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

    public void register(HttpRules rules) {
        rules.post("/v1/chat/completions", this::chat)
             .post("/v1/completions", this::completion)
             .get("/v1/models", this::models);
    }

    private void models(ServerRequest req, ServerResponse res) {
        ObjectNode r = Json.object();
        r.put("object", "list");
        ObjectNode m = r.putArray("data").addObject();
        m.put("id", modelId).put("object", "model").put("created", created).put("owned_by", "parley");
        Json.send(res, 200, r);
    }

    private void chat(ServerRequest req, ServerResponse res) {
        String id = "chatcmpl-" + RequestIds.of(req);
        Parsed p;
        try {
            RequestBody b = RequestBody.read(req, limits.maxBodyBytes());
            b.onlyFields(CHAT);
            List<Map<String, Object>> messages = Messages.parse(b.get("messages"), "messages");
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
            p = parse(id, b, prompt, "max_completion_tokens", responseFormatGrammar(b));
        } catch (ApiError e) {
            sendError(res, e.status(), e.getMessage(), e.param(), null);
            return;
        }
        run(req, id, p, res, true);
    }

    private void completion(ServerRequest req, ServerResponse res) {
        String id = "cmpl-" + RequestIds.of(req);
        Parsed p;
        try {
            RequestBody b = RequestBody.read(req, limits.maxBodyBytes());
            b.onlyFields(COMPLETION);
            String prompt = b.optionalString("prompt");
            if (prompt == null || prompt.isEmpty()) {
                throw ApiError.badRequest("prompt", "field 'prompt' is required: a non-empty string");
            }
            p = parse(id, b, new Prompt.Raw(prompt), null, null);
        } catch (ApiError e) {
            sendError(res, e.status(), e.getMessage(), e.param(), null);
            return;
        }
        run(req, id, p, res, false);
    }

    private record Parsed(GenerationRequest request, boolean stream, boolean includeUsage) {}

    private Parsed parse(String id, RequestBody b, Prompt prompt, String altMaxField, String grammar) {
        b.optionalInt("n", 1, 1); // one choice per request
        Integer max = b.optionalInt("max_tokens", 1, limits.maxTokens());
        if (altMaxField != null && b.has(altMaxField)) {
            max = b.optionalInt(altMaxField, 1, limits.maxTokens());
        }
        boolean stream = b.bool("stream", false);
        boolean usage = false;
        JsonNode so = b.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject() || (so.has("include_usage") && !so.get("include_usage").isBoolean())) {
                throw ApiError.badRequest("stream_options", "field 'stream_options' must be {\"include_usage\": true|false}");
            }
            usage = so.path("include_usage").asBoolean(false);
        }
        String g = grammar != null ? grammar : b.optionalString("grammar");
        return new Parsed(new GenerationRequest(id, prompt, max != null ? max : limits.defaultMaxTokens(), SamplingFields.parse(b),
                b.optionalStrings("stop", true, 4), g), stream, usage);
    }

    /** response_format: json_object constrains the output to JSON with llama.cpp's JSON grammar. */
    private String responseFormatGrammar(RequestBody b) {
        JsonNode rf = b.get("response_format");
        if (rf == null || rf.isNull()) {
            return null;
        }
        String type = rf.path("type").asText("");
        return switch (type) {
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

    private void run(ServerRequest req, String id, Parsed p, ServerResponse res, boolean chat) {
        Generation g;
        try {
            g = Generation.start(engine, p.request(), req);
        } catch (Generation.Refused e) {
            sendError(res, e.code.httpStatus, e.getMessage(), null, e.code);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (p.stream()) {
            stream(id, g, res, chat, p.includeUsage());
        } else {
            whole(id, g, res, chat);
        }
    }

    private void whole(String id, Generation g, ServerResponse res, boolean chat) {
        StringBuilder content = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        try {
            while (true) {
                GenerationEvent e = g.stream().next();
                if (e instanceof GenerationEvent.Piece piece) {
                    (piece.channel() == GenerationEvent.Channel.REASONING && chat ? reasoning : content).append(chat ? piece.text() : piece.raw());
                } else if (e instanceof GenerationEvent.Failed f) {
                    sendError(res, f.code().httpStatus, f.message(), null, f.code());
                    return;
                } else if (e instanceof GenerationEvent.Done d) {
                    ObjectNode r = envelope(id, chat ? "chat.completion" : "text_completion");
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
                    r.set("usage", usage(d.usage()));
                    Json.send(res, 200, r);
                    RequestLog.finished(LOG, id, chat ? "chat/completions" : "completions", d);
                    return;
                }
            }
        } catch (InterruptedException | RuntimeException e) {
            g.abandon(e);
        }
    }

    private void stream(String id, Generation g, ServerResponse res, boolean chat, boolean includeUsage) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        try (OutputStream out = res.outputStream()) {
            if (chat) {
                ObjectNode first = chunk(id, true);
                first.withArray("choices").addObject().put("index", 0).putNull("finish_reason")
                        .putObject("delta").put("role", "assistant").put("content", "");
                event(out, first);
            }
            while (true) {
                GenerationEvent e = g.stream().next();
                if (e instanceof GenerationEvent.Piece piece) {
                    String text = chat ? piece.text() : piece.raw();
                    if (text.isEmpty()) {
                        continue;
                    }
                    ObjectNode c = chunk(id, chat);
                    ObjectNode choice = c.withArray("choices").addObject().put("index", 0);
                    if (chat) {
                        choice.putObject("delta").put(piece.channel() == GenerationEvent.Channel.REASONING ? "reasoning_content" : "content", text);
                    } else {
                        choice.put("text", text).putNull("logprobs");
                    }
                    choice.putNull("finish_reason");
                    event(out, c);
                } else if (e instanceof GenerationEvent.Failed f) {
                    event(out, errorBody(f.message(), f.code().httpStatus, null, codeName(f.code())));
                    return;
                } else if (e instanceof GenerationEvent.Done d) {
                    ObjectNode last = chunk(id, chat);
                    ObjectNode choice = last.withArray("choices").addObject().put("index", 0);
                    if (chat) {
                        choice.putObject("delta");
                    } else {
                        choice.put("text", "").putNull("logprobs");
                    }
                    choice.put("finish_reason", finishReason(d.reason()));
                    event(out, last);
                    if (includeUsage) {
                        ObjectNode u = chunk(id, chat);
                        u.putArray("choices");
                        u.set("usage", usage(d.usage()));
                        event(out, u);
                    }
                    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    RequestLog.finished(LOG, id, chat ? "chat/completions" : "completions", d);
                    return;
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            g.abandon(e);
        }
    }

    private static void event(OutputStream out, ObjectNode data) throws IOException {
        out.write("data: ".getBytes(StandardCharsets.UTF_8));
        out.write(Json.bytes(data));
        out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ObjectNode envelope(String id, String object) {
        ObjectNode r = Json.object();
        r.put("id", id).put("object", object).put("created", System.currentTimeMillis() / 1000).put("model", modelId);
        return r;
    }

    private ObjectNode chunk(String id, boolean chat) {
        ObjectNode c = envelope(id, chat ? "chat.completion.chunk" : "text_completion");
        c.putArray("choices");
        return c;
    }

    private static String finishReason(GenerationEvent.FinishReason r) {
        return r == GenerationEvent.FinishReason.LENGTH ? "length" : "stop";
    }

    private static ObjectNode usage(GenerationEvent.Usage u) {
        ObjectNode n = Json.object();
        n.put("prompt_tokens", u.promptTokens());
        n.put("completion_tokens", u.generatedTokens());
        n.put("total_tokens", u.promptTokens() + u.generatedTokens());
        n.putObject("prompt_tokens_details").put("cached_tokens", u.cachedPromptTokens());
        n.putObject("completion_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        return n;
    }

    /** OpenAI's error body: {"error": {"message", "type", "param", "code"}}. */
    public static ObjectNode errorBody(String message, int status, String param, String code) {
        ObjectNode r = Json.object();
        ObjectNode e = r.putObject("error");
        e.put("message", message);
        e.put("type", status >= 500 ? "server_error" : status == 413 || status == 400 ? "invalid_request_error" : "rate_limit_error");
        if (param == null) {
            e.putNull("param");
        } else {
            e.put("param", param);
        }
        if (code == null) {
            e.putNull("code");
        } else {
            e.put("code", code);
        }
        return r;
    }

    private static String codeName(ErrorCode code) {
        return code == null ? null : code.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void sendError(ServerResponse res, int status, String message, String param, ErrorCode code) {
        if (code == ErrorCode.QUEUE_FULL || code == ErrorCode.SHUTTING_DOWN) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        Json.send(res, status, errorBody(message, status, param, codeName(code)));
    }
}
