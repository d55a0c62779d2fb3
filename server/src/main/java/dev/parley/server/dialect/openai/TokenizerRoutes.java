package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.Messages;
import dev.parley.server.api.RequestBody;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.files.Attachments;
import dev.parley.server.threads.FileStore;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Set;

/**
 * llama-server's utility routes, in its shapes, with OpenAI's error body (as llama-server answers them):
 * {@code POST /tokenize} ({@code content}, {@code add_special}, {@code with_pieces} -> {@code tokens}),
 * {@code POST /detokenize} ({@code tokens} -> {@code content}) and {@code POST /apply-template}
 * ({@code messages}, {@code tools}, {@code chat_template_kwargs} -> the rendered {@code prompt}).
 */
public final class TokenizerRoutes implements Dialect {

    private final EngineClient engine;

    private final FileStore files;

    public TokenizerRoutes(EngineClient engine, FileStore files) {
        this.engine = engine;
        this.files = files;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        for (String path : new String[] {"/tokenize", "/detokenize", "/apply-template"}) {
            endpoints.owns(path, OpenAiErrors.SHAPE);
        }
        rules.post("/tokenize", endpoints.handler(OpenAiErrors.SHAPE, this::tokenize))
             .post("/detokenize", endpoints.handler(OpenAiErrors.SHAPE, this::detokenize))
             .post("/apply-template", endpoints.handler(OpenAiErrors.SHAPE, this::applyTemplate));
    }

    private void tokenize(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        b.onlyFields(Set.of("content", "add_special", "parse_special", "with_pieces"));
        String content = b.optionalString("content");
        if (content == null) {
            throw ApiError.badRequest("content", "field 'content' is required: the text to tokenize");
        }
        if (!b.bool("parse_special", true)) {
            throw ApiError.badRequest("parse_special", "parse_special false is not supported: special-token text always becomes its token");
        }
        boolean pieces = b.bool("with_pieces", false);
        int[] tokens = engine.tokenize(content, b.bool("add_special", false));
        ObjectNode r = Json.object();
        ArrayNode list = r.putArray("tokens");
        for (int t : tokens) {
            if (pieces) {
                list.addObject().put("id", t).put("piece", engine.detokenize(new int[] {t}, true));
            } else {
                list.add(t);
            }
        }
        Json.send(res, 200, r);
    }

    private void detokenize(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        b.onlyFields(Set.of("tokens"));
        JsonNode list = b.get("tokens");
        if (list == null || !list.isArray()) {
            throw ApiError.badRequest("tokens", "field 'tokens' is required: a list of token ids");
        }
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = list.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt()) {
                throw ApiError.badRequest("tokens", "tokens[" + i + "] must be a token id, got " + t);
            }
            ids[i] = t.intValue();
        }
        try {
            Json.send(res, 200, Json.object().put("content", engine.detokenize(ids, false)));
        } catch (EngineException e) {
            throw ApiError.engine(e.code(), e.getMessage());
        }
    }

    private void applyTemplate(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        b.onlyFields(Set.of("messages", "tools", "chat_template_kwargs", "add_generation_prompt", "model"));
        // Uploaded-file parts render as they would in a chat completion: the prompt shows where documents go.
        var messages = Messages.parse(OpenAiRequests.asTemplateMessages(b.get("messages")), "messages",
                new Messages.FileReferences(new Attachments(files, in.owner()), false, true)).messages();
        JsonNode k = b.get("chat_template_kwargs");
        if (k != null && !k.isNull() && !k.isObject()) {
            throw ApiError.badRequest("chat_template_kwargs", "field 'chat_template_kwargs' must be an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> kwargs = k == null || k.isNull() ? Map.of() : new java.util.HashMap<>(Json.MAPPER.convertValue(k, Map.class));
        Boolean thinking = kwargs.get("enable_thinking") instanceof Boolean t ? t : null;
        if (thinking != null) {
            kwargs.remove("enable_thinking");
        }
        Prompt.Chat chat = new Prompt.Chat(messages, b.bool("add_generation_prompt", true), thinking, Messages.tools(b.get("tools")), kwargs);
        try {
            Json.send(res, 200, Json.object().put("prompt", engine.render(chat)));
        } catch (EngineException e) {
            throw ApiError.engine(e.code(), e.getMessage());
        }
    }
}
