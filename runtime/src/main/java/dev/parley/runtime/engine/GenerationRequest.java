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
 * @param conversation the conversation this turn belongs to (a thread id, a session header), or null:
 *     a hint to keep its slot and its saved KV close; without it the KV cache still works by prefix
 * @param cacheNamespace whose KV cache this request may share (the API key's owner), or null for the
 *     common namespace: entries never match across namespaces
 * @param cacheHints prompt prefixes the client asked to keep cached for a while (pinned in the KV tiers)
 * @param speculative false to generate this request without speculative decoding where the engine has
 *     it on; null or true: the engine's setting (a request cannot turn it on where the engine has it off)
 */
public record GenerationRequest(String id, Prompt prompt, int maxTokens, Sampling sampling, List<String> stop, String grammar,
                                int topLogprobs, Map<Integer, Float> logitBias, String conversation, String cacheNamespace,
                                List<CacheHint> cacheHints, Boolean speculative) {

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
        cacheHints = cacheHints == null ? List.of() : List.copyOf(cacheHints);
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            if (e.getValue() == null || !(e.getValue() >= -100 && e.getValue() <= 100)) {
                throw new EngineException(ErrorCode.INVALID_REQUEST, "logit_bias for token " + e.getKey() + " must be between -100 and 100");
            }
        }
    }

    /** The engine's speculative decoding setting. */
    public GenerationRequest(String id, Prompt prompt, int maxTokens, Sampling sampling, List<String> stop, String grammar,
                             int topLogprobs, Map<Integer, Float> logitBias, String conversation, String cacheNamespace,
                             List<CacheHint> cacheHints) {
        this(id, prompt, maxTokens, sampling, stop, grammar, topLogprobs, logitBias, conversation, cacheNamespace, cacheHints, null);
    }

    /** Without cache hints. */
    public GenerationRequest(String id, Prompt prompt, int maxTokens, Sampling sampling, List<String> stop, String grammar,
                             int topLogprobs, Map<Integer, Float> logitBias, String conversation, String cacheNamespace) {
        this(id, prompt, maxTokens, sampling, stop, grammar, topLogprobs, logitBias, conversation, cacheNamespace, List.of());
    }

    /** A request without logprobs, logit bias or cache hints. */
    public GenerationRequest(String id, Prompt prompt, int maxTokens, Sampling sampling, List<String> stop, String grammar) {
        this(id, prompt, maxTokens, sampling, stop, grammar, -1, Map.of(), null, null);
    }

    /** The same request, reporting each token's logprob and {@code top} alternatives (0..20). */
    public GenerationRequest withLogprobs(int top) {
        return new GenerationRequest(id, prompt, maxTokens, sampling, stop, grammar, top, logitBias, conversation, cacheNamespace, cacheHints, speculative);
    }

    /** The same request, with these biases added to the logits (token id -> -100..100). */
    public GenerationRequest withLogitBias(Map<Integer, Float> bias) {
        return new GenerationRequest(id, prompt, maxTokens, sampling, stop, grammar, topLogprobs, bias, conversation, cacheNamespace, cacheHints, speculative);
    }

    /** This request as a turn of {@code key}'s conversation (null or blank: none). */
    public GenerationRequest withConversation(String key) {
        return new GenerationRequest(id, prompt, maxTokens, sampling, stop, grammar, topLogprobs, logitBias,
                key == null || key.isBlank() ? null : key, cacheNamespace, cacheHints, speculative);
    }

    /** This request's KV cache confined to {@code namespace} (null: the common one). */
    public GenerationRequest withCacheNamespace(String namespace) {
        return new GenerationRequest(id, prompt, maxTokens, sampling, stop, grammar, topLogprobs, logitBias, conversation, namespace, cacheHints, speculative);
    }

    /** This request asking to keep these prompt prefixes cached. */
    public GenerationRequest withCacheHints(List<CacheHint> hints) {
        return new GenerationRequest(id, prompt, maxTokens, sampling, stop, grammar, topLogprobs, logitBias, conversation, cacheNamespace, hints, speculative);
    }

    /** This request with speculative decoding left to the engine (null or true) or off for it (false). */
    public GenerationRequest withSpeculative(Boolean on) {
        return new GenerationRequest(id, prompt, maxTokens, sampling, stop, grammar, topLogprobs, logitBias, conversation, cacheNamespace,
                cacheHints, on);
    }

    public static GenerationRequest greedy(String id, Prompt prompt, int maxTokens) {
        return new GenerationRequest(id, prompt, maxTokens, Sampling.GREEDY, List.of(), null);
    }
}
