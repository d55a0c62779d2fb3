package dev.parley.runtime.engine;

import java.util.List;

/**
 * One generation.
 *
 * @param id the request id (for logs and the slot table)
 * @param maxTokens hard limit on generated tokens
 * @param stop strings that end generation; they never appear in the output
 * @param grammar a GBNF grammar constraining the output, or null
 */
public record GenerationRequest(String id, Prompt prompt, int maxTokens, Sampling sampling, List<String> stop, String grammar) {

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
    }

    public static GenerationRequest greedy(String id, Prompt prompt, int maxTokens) {
        return new GenerationRequest(id, prompt, maxTokens, Sampling.GREEDY, List.of(), null);
    }
}
