package dev.parley.server.dialect.openai;

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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * OpenAI's {@code POST /v1/embeddings}: {@code input} is a string, an array of strings, an array of
 * token ids or an array of such arrays; vectors come back L2-normalized (as OpenAI's models give them),
 * as float arrays or, with {@code encoding_format: "base64"} (the openai SDK's default), as base64 of
 * little-endian float32. {@code dimensions} is accepted only when it is the model's own width: these
 * models cannot shorten their vectors. An input over the embedding context is a 413, never cut.
 */
public final class OpenAiEmbeddings implements Dialect {

    /** OpenAI's own limit on inputs per request. */
    static final int MAX_INPUTS = 2048;

    /** Known at registration, from the exchange. */
    private dev.parley.server.credits.Credits credits;
    private final ModelCard model;
    private final dev.parley.server.models.ModelRouter router;

    public OpenAiEmbeddings(EngineClient engine) {
        this(engine, dev.parley.server.models.ModelRouter.single(engine));
    }

    /** With several models, {@code model} picks the one that embeds (held, never unloaded, until the answer is made). */
    public OpenAiEmbeddings(EngineClient engine, dev.parley.server.models.ModelRouter router) {
        this.model = new ModelCard(engine, router);
        this.router = router;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        credits = endpoints.exchange().credits();
        endpoints.owns("/v1/", OpenAiErrors.SHAPE);
        rules.post("/v1/embeddings", endpoints.handler(OpenAiErrors.SHAPE, this::embed));
    }

    private void embed(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        b.onlyFields(Set.of("model", "input", "encoding_format", "dimensions", "user"));
        try (var held = router.hold(in.model(), null)) {
            embed(in, res, b, new Embeddings(held.engine(), credits));
        }
    }

    private void embed(Incoming in, ServerResponse res, RequestBody b, Embeddings embeddings) {
        String format = b.optionalString("encoding_format");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw ApiError.badRequest("encoding_format", "encoding_format must be 'float' or 'base64', got '" + format + "'");
        }
        List<Embeddings.Input> inputs = inputs(b.get("input"));
        int width = embeddings.embedder().dimensions();
        Integer dimensions = b.optionalInt("dimensions", 1, Integer.MAX_VALUE);
        if (dimensions != null && dimensions != width) {
            throw ApiError.badRequest("dimensions", "this model gives " + width + "-dimensional embeddings and cannot shorten them:"
                    + " dimensions " + dimensions + " is not supported (leave it out, or pass " + width + ")");
        }
        Embeddings.Result r = embeddings.embed(in.owner(), inputs, false, true);
        ObjectNode out = Json.object();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < r.vectors().size(); i++) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            float[] v = r.vectors().get(i);
            if ("base64".equals(format)) {
                item.put("embedding", base64(v));
            } else {
                ArrayNode a = item.putArray("embedding");
                for (float x : v) {
                    a.add(x);
                }
            }
        }
        String name = b.optionalString("model");
        out.put("model", router.registry() != null ? model.answering(in.model()) : name == null || name.isBlank() ? model.id() : name);
        out.putObject("usage").put("prompt_tokens", r.promptTokens()).put("total_tokens", r.promptTokens());
        Json.send(res, 200, out);
    }

    /** {@code input} in any of its four forms, each item checked. */
    static List<Embeddings.Input> inputs(JsonNode input) {
        if (input == null || input.isNull()) {
            throw ApiError.badRequest("input", "field 'input' is required: a string, an array of strings, or token arrays");
        }
        if (input.isTextual()) {
            return List.of(new Embeddings.Input.Text(input.textValue()));
        }
        if (!input.isArray() || input.isEmpty()) {
            throw ApiError.badRequest("input", "field 'input' must be a string or a non-empty array, got " + input.getNodeType().name().toLowerCase());
        }
        if (input.size() > MAX_INPUTS) {
            throw ApiError.badRequest("input", "at most " + MAX_INPUTS + " inputs a request, got " + input.size());
        }
        if (input.get(0).isIntegralNumber()) {
            return List.of(new Embeddings.Input.Tokens(tokens(input, "input")));
        }
        List<Embeddings.Input> out = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (item.isTextual()) {
                out.add(new Embeddings.Input.Text(item.textValue()));
            } else if (item.isArray()) {
                out.add(new Embeddings.Input.Tokens(tokens(item, "input[" + i + "]")));
            } else {
                throw ApiError.badRequest("input", "input[" + i + "] must be a string or an array of token ids, got " + item);
            }
        }
        return out;
    }

    private static int[] tokens(JsonNode list, String where) {
        if (list.isEmpty()) {
            throw ApiError.badRequest("input", where + " is an empty token array");
        }
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = list.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt()) {
                throw ApiError.badRequest("input", where + "[" + i + "] must be a token id, got " + t);
            }
            ids[i] = t.intValue();
        }
        return ids;
    }

    /** OpenAI's base64 form: the float32 values little-endian, back to back. */
    static String base64(float[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            buf.putFloat(x);
        }
        return Base64.getEncoder().encodeToString(buf.array());
    }
}
