package dev.parley.server.dialect.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import dev.parley.server.embed.Embeddings;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Ollama's embedding routes. {@code POST /api/embed}: {@code input} a string or an array of strings,
 * {@code truncate} (default true) cuts an input over the context instead of refusing it; the answer
 * holds L2-normalized {@code embeddings}, {@code total_duration}, {@code load_duration} (0: the model is
 * loaded at start) and {@code prompt_eval_count}. The legacy {@code POST /api/embeddings}: one
 * {@code prompt}, one {@code embedding}, not normalized, as Ollama returns it. Unknown fields are
 * ignored, as Ollama does; errors are {@code {"error": ...}}.
 */
public final class OllamaEmbeddings implements Dialect {

    /** Known at registration, from the exchange. */
    private dev.parley.server.credits.Credits credits;
    private final dev.parley.server.models.ModelRouter router;

    public OllamaEmbeddings(EngineClient engine) {
        this(dev.parley.server.models.ModelRouter.single(engine));
    }

    /** With several models, {@code model} picks the one that embeds; {@code keep_alive} applies to it. */
    public OllamaEmbeddings(dev.parley.server.models.ModelRouter router) {
        this.router = router;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        credits = endpoints.exchange().credits();
        endpoints.owns("/api/", OllamaNdjson.ERRORS);
        rules.post("/api/embed", endpoints.handler(OllamaNdjson.ERRORS, this::embed))
             .post("/api/embeddings", endpoints.handler(OllamaNdjson.ERRORS, this::legacy));
    }

    private void embed(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        String model = model(b);
        java.time.Duration keepAlive = KeepAlive.parse(b.get("keep_alive"));
        try (var held = router.hold(model, keepAlive)) {
            embed(in, res, b, model, new Embeddings(held.engine(), credits));
        }
    }

    private void embed(Incoming in, ServerResponse res, RequestBody b, String model, Embeddings embeddings) {
        List<Embeddings.Input> inputs = inputs(b.get("input"));
        checkDimensions(b, embeddings);
        Embeddings.Result r = embeddings.embed(in.owner(), inputs, b.bool("truncate", true), true);
        ObjectNode out = Json.object();
        out.put("model", model);
        ArrayNode list = out.putArray("embeddings");
        for (float[] v : r.vectors()) {
            ArrayNode a = list.addArray();
            for (float x : v) {
                a.add(x);
            }
        }
        out.put("total_duration", r.nanos());
        out.put("load_duration", 0);
        out.put("prompt_eval_count", r.promptTokens());
        Json.send(res, 200, out);
    }

    private void legacy(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        String model = model(b);
        java.time.Duration keepAlive = KeepAlive.parse(b.get("keep_alive"));
        try (var held = router.hold(model, keepAlive)) {
            legacy(in, res, b, new Embeddings(held.engine(), credits));
        }
    }

    private void legacy(Incoming in, ServerResponse res, RequestBody b, Embeddings embeddings) {
        String prompt = b.optionalString("prompt");
        ObjectNode out = Json.object();
        ArrayNode a = out.putArray("embedding");
        embeddings.embedder(); // a model without pooling is refused even for an empty prompt
        if (prompt != null && !prompt.isEmpty()) { // Ollama answers an empty prompt with an empty embedding
            for (float x : embeddings.embed(in.owner(), List.of(new Embeddings.Input.Text(prompt)), true, false).vectors().getFirst()) {
                a.add(x);
            }
        }
        Json.send(res, 200, out);
    }

    private static String model(RequestBody b) {
        String model = b.optionalString("model");
        if (model == null || model.isBlank()) {
            throw ApiError.badRequest("model", "model is required");
        }
        return model;
    }

    /** Ollama's {@code dimensions} shortens vectors; these models cannot, so only their own width is accepted. */
    private static void checkDimensions(RequestBody b, Embeddings embeddings) {
        Integer d = b.optionalInt("dimensions", 1, Integer.MAX_VALUE);
        int width = embeddings.embedder().dimensions();
        if (d != null && d != width) {
            throw ApiError.badRequest("dimensions", "this model gives " + width + "-dimensional embeddings and cannot shorten them to " + d);
        }
    }

    private static List<Embeddings.Input> inputs(JsonNode input) {
        if (input == null || input.isNull()) {
            throw ApiError.badRequest("input", "input is required: a string or a list of strings");
        }
        if (input.isTextual()) {
            return List.of(new Embeddings.Input.Text(input.textValue()));
        }
        if (!input.isArray() || input.isEmpty()) {
            throw ApiError.badRequest("input", "input must be a string or a non-empty list of strings, got " + input);
        }
        List<Embeddings.Input> out = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!item.isTextual()) {
                throw ApiError.badRequest("input", "input[" + i + "] must be a string, got " + item);
            }
            out.add(new Embeddings.Input.Text(item.textValue()));
        }
        return out;
    }
}
