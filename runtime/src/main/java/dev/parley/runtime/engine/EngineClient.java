package dev.parley.runtime.engine;

import dev.parley.bindings.Pooling;
import dev.parley.runtime.embed.Embedder;
import dev.parley.runtime.format.ChatFormat;

/**
 * What the API layer (the server's dialects and its exchange) sees of one model's engine: submit a
 * request and read its event stream, render and count prompts, tokenize, and the facts a model card
 * shows. {@link Engine} is the one implementation that runs a model; {@link ScriptedEngine} answers
 * from a script with no natives, so dialects are tested end to end without a model (vLLM's
 * {@code EngineClient} draws the same line). Operations concerns (slots, queue, KV tiers, shutdown)
 * stay on {@link Engine}, which only the server's wiring and its ops routes hold.
 */
public interface EngineClient {

    ModelInfo model();

    /** The engine's settings (context size, slots, GPU layers: what model cards show). */
    EngineConfig config();

    /** Tokens one generation can hold (prompt and output). */
    int slotCapacity();

    boolean hasChatTemplate();

    /** The chat template's source (the model's or the operator's), or null: tool-call formats are detected from it. */
    String chatTemplateSource();

    /** What the model's output means: thinking markers, tool-call markup, the forcing grammar, the parsers. */
    ChatFormat chatFormat();

    /**
     * Renders and tokenizes a chat exactly as {@link #submit} would; submitting the result (as the
     * request's prompt, to this engine) does not render it again.
     */
    Prompt.Prepared prepare(Prompt.Chat chat);

    /** How many tokens a chat's prompt takes, rendered and tokenized exactly as {@link #submit} would. */
    default int promptTokens(Prompt.Chat chat) {
        return prepare(chat).tokenCount();
    }

    /** The prompt text a chat renders to with this model's template. */
    String render(Prompt.Chat chat);

    /** Text to tokens without the chat template (special-token text becomes its token), BOS added when {@code addSpecial}. */
    int[] tokenize(String text, boolean addSpecial);

    /** How many tokens text takes inside a message: no BOS, control-token text counted as text. */
    int textTokens(String text);

    /** Tokens to text; every id is checked against the vocabulary first. {@code renderSpecial} writes special tokens' text. */
    String detokenize(int[] tokens, boolean renderSpecial);

    /**
     * Checks and queues a generation. Refusals (bad input, a prompt longer than a slot, a full queue,
     * shutdown) are thrown as {@link EngineException}; everything later arrives on the stream: Started,
     * Pieces, then Done or Failed.
     */
    TokenStream submit(GenerationRequest request);

    /** The embedder beside the generation context, or null when the model makes no embeddings here. */
    Embedder embedder();

    /** The GGUF's declared pooling type (NONE for a generative model). */
    Pooling declaredPooling();
}
