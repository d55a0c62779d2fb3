package dev.parley.runtime.engine;

/**
 * Totals since the engine started. The scheduler's own overhead per step is
 * {@code stepNanos - decodeNanos - samplingNanos}, divided by {@code steps}. {@code draftedTokens} and
 * {@code acceptedTokens} count speculative decoding's verified drafts and the part of them kept.
 */
public record EngineStats(int queueLength, int activeSlots, long promptTokens, long cachedPromptTokens, long generatedTokens,
                          long finished, long cancelled, long failed, long steps, long stepNanos, long decodeNanos,
                          long samplingNanos, long draftedTokens, long acceptedTokens) {

    /** Share of speculative draft tokens the model accepted; 0 when nothing was drafted. */
    public double draftAcceptance() {
        return draftedTokens == 0 ? 0 : (double) acceptedTokens / draftedTokens;
    }

    /** Mean time per step spent outside llama_decode and sampling, in microseconds. */
    public double overheadMicrosPerStep() {
        return steps == 0 ? 0 : (stepNanos - decodeNanos - samplingNanos) / 1000.0 / steps;
    }
}
