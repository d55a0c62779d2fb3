package dev.parley.runtime.engine;

import java.util.List;
import java.util.Map;

/**
 * How to generate, whatever the dialect: the one options type from a dialect's parser to the sampler.
 * The server's parsers build it from the request's fields (the JSON stays there) and the exchange hands
 * it on untouched inside the {@link GenerationRequest}; a new option is a component here, the field
 * that fills it, and the code that reads it. Checked on construction, so that every path to the
 * engine (HTTP, tests, benchmarks) meets the same limits.
 *
 * @param maxTokens hard limit on generated tokens (at least 1)
 * @param sampling the sampler's settings (null: greedy)
 * @param stop strings that end generation; they never appear in the output
 * @param grammar a GBNF grammar constraining the output, or null
 * @param topLogprobs -1 for no logprobs; otherwise each piece carries its tokens' logprobs with this
 *     many alternatives (0..20)
 * @param logitBias added to the logits of these token ids before sampling (-100..100)
 * @param cacheHints prompt prefixes the client asked to keep cached for a while (pinned in the KV tiers)
 * @param speculative false to generate without speculative decoding where the engine has it on; null
 *     or true: the engine's setting (a request cannot turn it on where the engine has it off)
 */
public record GenerationOptions(int maxTokens, Sampling sampling, List<String> stop, String grammar, int topLogprobs,
                                Map<Integer, Float> logitBias, List<CacheHint> cacheHints, Boolean speculative) {

    public GenerationOptions {
        if (maxTokens < 1) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "max_tokens must be >= 1, got " + maxTokens);
        }
        sampling = sampling == null ? Sampling.GREEDY : sampling;
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new EngineException(ErrorCode.INVALID_REQUEST, "stop strings must not be empty");
            }
        }
        if (topLogprobs < -1 || topLogprobs > Logprobs.MAX_TOP) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "top_logprobs must be between 0 and " + Logprobs.MAX_TOP + ", got " + topLogprobs);
        }
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            if (e.getValue() == null || !(e.getValue() >= -100 && e.getValue() <= 100)) {
                throw new EngineException(ErrorCode.INVALID_REQUEST, "logit_bias for token " + e.getKey() + " must be between -100 and 100");
            }
        }
        cacheHints = cacheHints == null ? List.of() : List.copyOf(cacheHints);
    }

    /** Without logprobs, logit bias or cache hints, speculative decoding left to the engine. */
    public GenerationOptions(int maxTokens, Sampling sampling, List<String> stop, String grammar) {
        this(maxTokens, sampling, stop, grammar, -1, Map.of(), List.of(), null);
    }

    /** Greedy, with no stop strings and no grammar. */
    public static GenerationOptions greedy(int maxTokens) {
        return new GenerationOptions(maxTokens, Sampling.GREEDY, List.of(), null);
    }

    /** These options, reporting each token's logprob and {@code top} alternatives (0..20; -1: none). */
    public GenerationOptions withLogprobs(int top) {
        return new GenerationOptions(maxTokens, sampling, stop, grammar, top, logitBias, cacheHints, speculative);
    }

    /** These options, with these biases added to the logits (token id -> -100..100). */
    public GenerationOptions withLogitBias(Map<Integer, Float> bias) {
        return new GenerationOptions(maxTokens, sampling, stop, grammar, topLogprobs, bias, cacheHints, speculative);
    }

    /** These options asking to keep these prompt prefixes cached. */
    public GenerationOptions withCacheHints(List<CacheHint> hints) {
        return new GenerationOptions(maxTokens, sampling, stop, grammar, topLogprobs, logitBias, hints, speculative);
    }

    /** These options with speculative decoding left to the engine (null or true) or off (false). */
    public GenerationOptions withSpeculative(Boolean on) {
        return new GenerationOptions(maxTokens, sampling, stop, grammar, topLogprobs, logitBias, cacheHints, on);
    }
}
