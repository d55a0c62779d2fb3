package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.ModelInfo;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;

/**
 * The loaded model as {@code /v1/models} describes it: OpenAI's fields, plus how long a conversation may
 * be ({@code max_model_len} as vLLM names it, {@code context_length}) and llama-server's {@code meta}.
 */
final class ModelCard {

    private final Engine engine;
    private final long created = System.currentTimeMillis() / 1000;

    ModelCard(Engine engine) {
        this.engine = engine;
    }

    String id() {
        return engine.model().name();
    }

    ObjectNode list() {
        ObjectNode r = Json.object();
        r.put("object", "list");
        r.putArray("data").add(card());
        return r;
    }

    /** The model by id; this server has one. */
    ObjectNode get(String id) {
        if (!id().equals(id)) {
            throw new ApiError(404, "the model '" + id + "' does not exist here: this server serves '" + id() + "'", "model", "model_not_found");
        }
        return card();
    }

    private ObjectNode card() {
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
