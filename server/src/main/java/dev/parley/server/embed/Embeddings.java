package dev.parley.server.embed;

import dev.parley.runtime.embed.Embedder;
import dev.parley.runtime.embed.Vectors;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.credits.Credits;
import java.util.ArrayList;
import java.util.List;

/**
 * What the embedding routes of every dialect share: inputs to tokens, the embedder's limits, the
 * vectors. Not the chat exchange loop: an embedding request has no turn, no events and no stream; it
 * waits on the embedder's own thread, the only one that calls into the embedding context.
 */
public final class Embeddings {

    /** One input: text to tokenize, or token ids given by the client (OpenAI's token-array input). */
    public sealed interface Input {
        record Text(String text) implements Input {}
        record Tokens(int[] ids) implements Input {}
    }

    /**
     * The vectors, in input order, and what they cost.
     *
     * @param promptTokens tokens embedded (after any cut)
     * @param nanos time spent tokenizing and embedding
     */
    public record Result(List<float[]> vectors, int promptTokens, long nanos) {}

    private final EngineClient engine;
    private final Credits credits;

    /** {@code credits}: embedded tokens are charged to the owner as prompt tokens, and a spent budget refuses the call. */
    public Embeddings(EngineClient engine, Credits credits) {
        this.engine = engine;
        this.credits = credits;
    }

    /** The embedder, or a 400 naming why this model makes no embeddings. */
    public Embedder embedder() {
        Embedder e = engine.embedder();
        if (e == null) {
            throw new ApiError(400, "the model '" + engine.model().name() + "' does not make embeddings: its GGUF declares no pooling type"
                    + " (" + engine.declaredPooling() + "); serve an embedding model, or start the server with --embedding mean|cls|last",
                    "model", "embeddings_unsupported");
        }
        return e;
    }

    /**
     * Embeds the inputs: an input over the embedding context is cut to its first tokens when
     * {@code truncate}, refused (413) otherwise. {@code normalize}: scale each vector to unit length.
     */
    public Result embed(String owner, List<Input> inputs, boolean truncate, boolean normalize) {
        Embedder e = embedder();
        credits.admit(owner);
        long start = System.nanoTime();
        List<int[]> tokens = new ArrayList<>(inputs.size());
        for (Input in : inputs) {
            tokens.add(switch (in) {
                case Input.Text t -> e.tokenize(t.text());
                case Input.Tokens t -> t.ids();
            });
        }
        try {
            List<int[]> fitted = e.fit(tokens, truncate);
            List<float[]> vectors = e.embed(fitted);
            if (normalize) {
                vectors = vectors.stream().map(Vectors::l2Normalized).toList();
            }
            int used = 0;
            for (int[] t : fitted) {
                used += t.length;
            }
            long nanos = System.nanoTime() - start;
            credits.charge(owner, new GenerationEvent.Usage(used, 0, 0, 0, 0, nanos / 1_000_000, 0, 0));
            return new Result(vectors, used, nanos);
        } catch (EngineException ex) {
            throw ApiError.engine(ex.code(), ex.getMessage());
        }
    }
}
