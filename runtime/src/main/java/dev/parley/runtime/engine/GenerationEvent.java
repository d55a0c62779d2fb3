package dev.parley.runtime.engine;

/** What a generation reports, in order: Started, then Pieces, then one Done or Failed. */
public sealed interface GenerationEvent {

    /** The request got a slot; {@code cachedTokens} of the prompt were already in its KV cache. */
    record Started(int slot, int promptTokens, int cachedTokens, long queueMillis) implements GenerationEvent {}

    /**
     * Generated text. {@code raw} is exactly what the model produced (thinking markers included);
     * {@code text} is the same without markers, and {@code channel} says whether it is reasoning or
     * the answer. {@code tokens} is how many tokens this piece completes (0 for a marker-only flush).
     * {@code logprobs} holds those tokens' logprobs when the request asked for them, else is empty.
     */
    record Piece(String raw, String text, Channel channel, int tokens, java.util.List<TokenLogprob> logprobs) implements GenerationEvent {
        public Piece {
            logprobs = logprobs == null ? java.util.List.of() : logprobs;
        }

        public Piece(String raw, String text, Channel channel, int tokens) {
            this(raw, text, channel, tokens, java.util.List.of());
        }
    }

    /**
     * The generation ended; {@code stopSequence} is the request's stop string that ended it (reason
     * {@link FinishReason#STOP}), or null when it ended otherwise (end of generation, a limit).
     */
    record Done(FinishReason reason, Usage usage, String stopSequence) implements GenerationEvent {
        public Done(FinishReason reason, Usage usage) {
            this(reason, usage, null);
        }
    }

    /** The generation failed; nothing more follows. */
    record Failed(ErrorCode code, String message) implements GenerationEvent {}

    enum Channel { CONTENT, REASONING }

    enum FinishReason {
        /** End of generation token or a stop string. */
        STOP,
        /** max_tokens, or the slot's context is full. */
        LENGTH,
        /** The client went away or cancelled. */
        CANCELLED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Token counts and timings of a finished generation. */
    record Usage(int promptTokens, int cachedPromptTokens, int generatedTokens, int reasoningTokens,
                 long queueMillis, long prefillMillis, long generationMillis, long timeToFirstTokenMillis) {

        public double tokensPerSecond() {
            return generationMillis <= 0 ? 0 : generatedTokens * 1000.0 / generationMillis;
        }
    }
}
