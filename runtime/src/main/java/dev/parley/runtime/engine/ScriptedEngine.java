package dev.parley.runtime.engine;

import dev.parley.runtime.format.ChatFormat;

import dev.parley.bindings.Pooling;
import dev.parley.runtime.embed.Embedder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An {@link EngineClient} with no model and no natives: each request is answered from a {@link Script},
 * so the layers above the engine (the server's dialects, its exchange) run end to end in a test that
 * decides exactly what the "model" says and how it ends. Every submitted request is kept
 * ({@link #submitted}), so a test also sees the options a dialect parsed.
 *
 * <p>Its tokenizer is one token per Unicode code point (the vocabulary is every code point), its chat
 * template writes {@code <|role|>} before each message's content and a newline after it, and
 * {@code <|assistant|>} at the end when asked for the generation prompt. It checks what the engine
 * checks before queueing (an empty prompt, one longer than a slot, token ids outside the vocabulary, a
 * prompt prepared by another engine) but compiles no grammar and samples nothing: stop strings, grammars
 * and logprobs are the script's business. All events are queued at submit; cancelling changes nothing.
 */
public final class ScriptedEngine implements EngineClient {

    /** The vocabulary: every Unicode code point. */
    private static final int VOCABULARY = Character.MAX_CODE_POINT + 1;

    /** What one request gets. */
    @FunctionalInterface
    public interface Script {
        /**
         * The events after Started (pieces, then one Done or Failed) for a request whose prompt takes
         * {@code promptTokens} tokens; an {@link EngineException} thrown here refuses the request at submit.
         */
        List<GenerationEvent> answer(GenerationRequest request, int promptTokens);
    }

    private final ModelInfo info;
    private final EngineConfig config;
    private final Script script;
    private final List<GenerationRequest> submitted = new CopyOnWriteArrayList<>();

    /** A model called {@code name} whose slots hold {@code slotCapacity} tokens, answering from {@code script}. */
    public ScriptedEngine(String name, int slotCapacity, Script script) {
        Path path = Path.of(name + ".gguf");
        this.info = new ModelInfo(path, name, "scripted", "scripted model (no weights)", slotCapacity, 0, 0, 0, VOCABULARY, "", "", false);
        this.config = EngineConfig.defaults(path).withSlots(1, slotCapacity);
        this.script = script;
    }

    /**
     * A script that answers every request with these content pieces (one per text, each text's code
     * points its tokens) and ends with {@code reason}, naming {@code stopSequence} (null: none).
     */
    public static Script reply(GenerationEvent.FinishReason reason, String stopSequence, String... pieces) {
        return (request, promptTokens) -> {
            List<GenerationEvent> events = new ArrayList<>();
            int generated = 0;
            for (String p : pieces) {
                int tokens = p.codePointCount(0, p.length());
                generated += tokens;
                events.add(new GenerationEvent.Piece(p, p, GenerationEvent.Channel.CONTENT, tokens));
            }
            events.add(new GenerationEvent.Done(reason, new GenerationEvent.Usage(promptTokens, 0, generated, 0, 0, 1, 1, 1), stopSequence));
            return events;
        };
    }

    /** Every request submitted so far (refused ones included), in order. */
    public List<GenerationRequest> submitted() {
        return List.copyOf(submitted);
    }

    @Override
    public ModelInfo model() {
        return info;
    }

    @Override
    public EngineConfig config() {
        return config;
    }

    @Override
    public int slotCapacity() {
        return config.contextSize();
    }

    @Override
    public boolean hasChatTemplate() {
        return true;
    }

    @Override
    public String chatTemplateSource() {
        return null; // no tool-call markup to detect: the generic style
    }

    @Override
    public ChatFormat chatFormat() {
        return ChatFormat.detect(""); // a template with no markers: the generic style, no thinking
    }

    @Override
    public Prompt.Prepared prepare(Prompt.Chat chat) {
        String text = render(chat);
        return new Prompt.Prepared(this, chat, text, text.codePoints().toArray());
    }

    @Override
    public String render(Prompt.Chat chat) {
        StringBuilder out = new StringBuilder();
        for (Map<String, Object> m : chat.messages()) {
            out.append("<|").append(m.get("role")).append("|>").append(m.get("content") == null ? "" : m.get("content")).append('\n');
        }
        if (chat.addGenerationPrompt()) {
            out.append("<|assistant|>");
        }
        return out.toString();
    }

    @Override
    public int[] tokenize(String text, boolean addSpecial) {
        return text.codePoints().toArray();
    }

    @Override
    public int textTokens(String text) {
        return text.codePointCount(0, text.length());
    }

    @Override
    public String detokenize(int[] tokens, boolean renderSpecial) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < tokens.length; i++) {
            checkToken(i, tokens[i]);
            out.appendCodePoint(tokens[i]);
        }
        return out.toString();
    }

    @Override
    public TokenStream submit(GenerationRequest request) {
        submitted.add(request);
        int[] tokens = switch (request.prompt()) {
            case Prompt.Chat chat -> prepare(chat).tokens();
            case Prompt.Raw raw -> raw.text().codePoints().toArray();
            case Prompt.Tokens ids -> {
                for (int i = 0; i < ids.ids().length; i++) {
                    checkToken(i, ids.ids()[i]);
                }
                yield ids.ids();
            }
            case Prompt.Prepared p -> {
                if (!p.preparedBy(this)) {
                    throw new EngineException(ErrorCode.INVALID_REQUEST, "the prompt was prepared by another engine (another model)");
                }
                yield p.tokens();
            }
        };
        if (tokens.length == 0) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "the prompt is empty");
        }
        if (tokens.length > slotCapacity()) {
            throw new EngineException(ErrorCode.PROMPT_TOO_LONG, "the prompt has " + tokens.length + " tokens; a slot holds at most "
                    + slotCapacity());
        }
        List<GenerationEvent> events = script.answer(request, tokens.length);
        TokenStream stream = new TokenStream(request.id());
        stream.emit(new GenerationEvent.Started(0, tokens.length, 0, 0));
        events.forEach(stream::emit);
        return stream;
    }

    private static void checkToken(int index, int id) {
        if (id < 0 || id >= VOCABULARY) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "token " + index + " (" + id + ") is not in the vocabulary: ids go from 0 to "
                    + (VOCABULARY - 1));
        }
    }

    @Override
    public Embedder embedder() {
        return null;
    }

    @Override
    public Pooling declaredPooling() {
        return Pooling.NONE;
    }
}
