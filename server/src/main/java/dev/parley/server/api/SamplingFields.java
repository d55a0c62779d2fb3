package dev.parley.server.api;

import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.Sampling;

/** The sampling fields both APIs accept, with llama-server's defaults for what is left out. */
public final class SamplingFields {

    public static final java.util.Set<String> NAMES = java.util.Set.of("temperature", "top_k", "top_p", "min_p", "repeat_penalty",
            "presence_penalty", "frequency_penalty", "seed", "repeat_last_n");

    private SamplingFields() {
    }

    public static Sampling parse(RequestBody b) {
        Sampling d = Sampling.DEFAULT;
        Float temperature = b.optionalFloat("temperature", 0, 100);
        Integer topK = b.optionalInt("top_k", 0, 1_000_000);
        Float topP = b.optionalFloat("top_p", 0, 1);
        Float minP = b.optionalFloat("min_p", 0, 1);
        Float repeat = b.optionalFloat("repeat_penalty", 0, 10);
        Float presence = b.optionalFloat("presence_penalty", -2, 2);
        Float frequency = b.optionalFloat("frequency_penalty", -2, 2);
        Integer lastN = b.optionalInt("repeat_last_n", -1, 1_000_000);
        Long seed = b.optionalLong("seed", -1, 0xFFFFFFFEL);
        try {
            return new Sampling(temperature != null ? temperature : d.temperature(), topK != null ? topK : d.topK(),
                    topP != null ? (topP == 0 ? Float.MIN_VALUE : topP) : d.topP(), minP != null ? minP : d.minP(),
                    repeat != null ? (repeat == 0 ? 1 : repeat) : d.repeatPenalty(), presence != null ? presence : d.presencePenalty(),
                    frequency != null ? frequency : d.frequencyPenalty(), lastN != null ? lastN : d.penaltyLastN(),
                    seed != null ? seed : -1);
        } catch (EngineException e) {
            throw ApiError.badRequest(null, e.getMessage());
        }
    }
}
