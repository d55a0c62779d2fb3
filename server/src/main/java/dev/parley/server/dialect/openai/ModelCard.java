package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.ModelInfo;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;

/**
 * The loaded model as {@code /v1/models} describes it: OpenAI's fields, plus how long a conversation may
 * be ({@code max_model_len} as vLLM names it, {@code context_length}) and llama-server's {@code meta}.
 */
final class ModelCard {

    private final EngineClient engine;
    private final dev.parley.server.models.ModelRouter router;
    private final long created = System.currentTimeMillis() / 1000;

    ModelCard(EngineClient engine) {
        this(engine, dev.parley.server.models.ModelRouter.single(engine));
    }

    ModelCard(EngineClient engine, dev.parley.server.models.ModelRouter router) {
        this.engine = engine;
        this.router = router;
    }

    String id() {
        return engine.model().name();
    }

    /** The model name an answer carries: with several models the one the request named (or the default), else the model's own. */
    String answering(String requested) {
        var registry = router.registry();
        if (registry == null) {
            return id();
        }
        return requested == null ? registry.catalog().defaultName() : requested;
    }

    ObjectNode list() {
        ObjectNode r = Json.object();
        r.put("object", "list");
        var registry = router.registry();
        if (registry == null) {
            r.putArray("data").add(card());
            return r;
        }
        var data = r.putArray("data");
        for (String name : registry.catalog().names()) {
            data.add(card(name));
        }
        return r;
    }

    /**
     * One model of several: its full card while it is loaded, the OpenAI fields alone (and {@code loaded: false})
     * while it is not, since its facts come from the loaded model.
     */
    private ObjectNode card(String name) {
        EngineClient loaded = router.registry().ifLoaded(name);
        ObjectNode c = loaded != null ? card(loaded) : Json.object();
        c.put("id", name).put("object", "model").put("created", created).put("owned_by", "parley");
        c.put("loaded", loaded != null);
        return c;
    }

    /** The model by id; with one model, this server has that one. */
    ObjectNode get(String id) {
        var registry = router.registry();
        if (registry != null) {
            if (registry.catalog().reference(id) == null) {
                throw dev.parley.server.models.ModelRouter.notFound(id, registry.catalog().names());
            }
            return card(id);
        }
        if (!id().equals(id)) {
            throw new ApiError(404, "the model '" + id + "' does not exist here: this server serves '" + id() + "'", "model", "model_not_found");
        }
        return card();
    }

    private ObjectNode card() {
        return card(engine);
    }

    private ObjectNode card(EngineClient engine) {
        ModelInfo m = engine.model();
        ObjectNode c = Json.object();
        c.put("id", m.name()).put("object", "model").put("created", created).put("owned_by", "parley");
        c.put("max_model_len", engine.slotCapacity());
        c.put("context_length", engine.slotCapacity());
        ObjectNode meta = c.putObject("meta");
        meta.put("architecture", m.architecture());
        meta.put("description", m.description());
        meta.put("n_vocab", m.vocabularySize());
        meta.put("n_ctx_train", m.contextLengthTrained());
        meta.put("n_ctx", engine.config().contextSize());
        meta.put("n_slots", engine.config().slots());
        meta.put("n_layers", m.layers());
        meta.put("n_params", m.parameters());
        meta.put("size", m.sizeBytes());
        meta.put("chat_template", engine.hasChatTemplate());
        return c;
    }
}
