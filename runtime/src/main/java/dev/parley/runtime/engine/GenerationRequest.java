package dev.parley.runtime.engine;

import java.util.List;
import java.util.Map;

/**
 * One generation.
 *
 * @param id the request id (for logs and the slot table)
 * @param maxTokens hard limit on generated tokens
 * @param stop strings that end generation; they never appear in the output
 * @param grammar a GBNF grammar constraining the output, or null
 * @param topLogprobs -1 for no logprobs; otherwise each piece carries its tokens' logprobs with this
 *     many alternatives (0..20)
 * @param logitBias added to the logits of these token ids before sampling (-100..100)
 */
public record GenerationRequest(String id, Prompt prompt, int maxTokens, Sampling sampling, List<String> stop, String grammar,
                                int topLogprobs, Map<Integer, Float> logitBias) {

    public GenerationRequest {
        if (id == null || id.isBlank()) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "request id is required");
        }
        if (prompt == null) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "prompt is required");
        }
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
    }

    /** A request without logprobs or logit bias. */
    public GenerationRequest(String id, Prompt prompt, int maxTokens, Sampling sampling, List<String> stop, String grammar) {
        this(id, prompt, maxTokens, sampling, stop, grammar, -1, Map.of());
    }

    /** The same request, reporting each token's logprob and {@code top} alternatives (0..20). */
    public GenerationRequest withLogprobs(int top) {
        return new GenerationRequest(id, prompt, maxTokens, sampling, stop, grammar, top, logitBias);
    }

    /** The same request, with these biases added to the logits (token id -> -100..100). */
    public GenerationRequest withLogitBias(Map<Integer, Float> bias) {
        return new GenerationRequest(id, prompt, maxTokens, sampling, stop, grammar, topLogprobs, bias);
    }

    public static GenerationRequest greedy(String id, Prompt prompt, int maxTokens) {
        return new GenerationRequest(id, prompt, maxTokens, Sampling.GREEDY, List.of(), null);
    }
}
