package dev.parley.runtime.engine;

/**
 * Sampling settings. Temperature 0 is greedy. Penalties look at the last {@code penaltyLastN}
 * tokens (prompt included); a seed outside 0..2^32-2 means random.
 */
public record Sampling(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repeatPenalty,
        float presencePenalty,
        float frequencyPenalty,
        int penaltyLastN,
        long seed) {

    public static final Sampling GREEDY = new Sampling(0, 0, 1, 0, 1, 0, 0, 64, -1);

    /** llama-server's defaults. */
    public static final Sampling DEFAULT = new Sampling(0.8f, 40, 0.95f, 0.05f, 1, 0, 0, 64, -1);

    public Sampling {
        check(temperature >= 0 && temperature <= 100, "temperature must be between 0 and 100");
        check(topK >= 0, "top_k must be >= 0");
        check(topP > 0 && topP <= 1, "top_p must be in (0, 1]");
        check(minP >= 0 && minP <= 1, "min_p must be in [0, 1]");
        check(repeatPenalty > 0 && repeatPenalty <= 10, "repeat_penalty must be in (0, 10]");
        check(presencePenalty >= -2 && presencePenalty <= 2, "presence_penalty must be in [-2, 2]");
        check(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequency_penalty must be in [-2, 2]");
        check(penaltyLastN >= -1, "penalty last_n must be >= -1");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, message);
        }
    }

    public boolean greedy() {
        return temperature <= 0;
    }

    public boolean penalized() {
        return repeatPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0;
    }
}
