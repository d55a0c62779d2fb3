package dev.parley.runtime.engine;

/**
 * Totals since the engine started. The scheduler's own overhead per step is
 * {@code stepNanos - decodeNanos - samplingNanos}, divided by {@code steps}.
 */
public record EngineStats(int queueLength, int activeSlots, long promptTokens, long cachedPromptTokens, long generatedTokens,
                          long finished, long cancelled, long failed, long steps, long stepNanos, long decodeNanos,
                          long samplingNanos) {

    /** Mean time per step spent outside llama_decode and sampling, in microseconds. */
    public double overheadMicrosPerStep() {
        return steps == 0 ? 0 : (stepNanos - decodeNanos - samplingNanos) / 1000.0 / steps;
    }
}
