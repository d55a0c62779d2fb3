package dev.parley.runtime.engine;

import java.util.List;
import java.util.Map;

/**
 * One generation: what to continue ({@code prompt}), how ({@code options}, as the dialect parsed them),
 * and whose it is.
 *
 * @param id the request id (for logs and the slot table)
 * @param conversation the conversation this turn belongs to (a thread id, a session header), or null:
 *     a hint to keep its slot and its saved KV close; without it the KV cache still works by prefix
 * @param cacheNamespace whose KV cache this request may share (the API key's owner), or null for the
 *     common namespace: entries never match across namespaces
 */
public record GenerationRequest(String id, Prompt prompt, GenerationOptions options, String conversation, String cacheNamespace) {

    public GenerationRequest {
        if (id == null || id.isBlank()) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "request id is required");
        }
        if (prompt == null) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "prompt is required");
        }
        if (options == null) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "generation options are required");
        }
        conversation = conversation == null || conversation.isBlank() ? null : conversation;
    }

    /** A request on no conversation, in the common cache namespace. */
    public GenerationRequest(String id, Prompt prompt, GenerationOptions options) {
        this(id, prompt, options, null, null);
    }

    /** A request without logprobs, logit bias or cache hints. */
    public GenerationRequest(String id, Prompt prompt, int maxTokens, Sampling sampling, List<String> stop, String grammar) {
        this(id, prompt, new GenerationOptions(maxTokens, sampling, stop, grammar));
    }

    public static GenerationRequest greedy(String id, Prompt prompt, int maxTokens) {
        return new GenerationRequest(id, prompt, GenerationOptions.greedy(maxTokens));
    }

    // The options' components, read where the request is (the scheduler, the sampler's setup).

    public int maxTokens() {
        return options.maxTokens();
    }

    public Sampling sampling() {
        return options.sampling();
    }

    public List<String> stop() {
        return options.stop();
    }

    public String grammar() {
        return options.grammar();
    }

    public int topLogprobs() {
        return options.topLogprobs();
    }

    public Map<Integer, Float> logitBias() {
        return options.logitBias();
    }

    public List<CacheHint> cacheHints() {
        return options.cacheHints();
    }

    public Boolean speculative() {
        return options.speculative();
    }

    /** The same request with other options. */
    public GenerationRequest withOptions(GenerationOptions other) {
        return new GenerationRequest(id, prompt, other, conversation, cacheNamespace);
    }

    /** The same request, reporting each token's logprob and {@code top} alternatives (0..20). */
    public GenerationRequest withLogprobs(int top) {
        return withOptions(options.withLogprobs(top));
    }

    /** The same request, with these biases added to the logits (token id -> -100..100). */
    public GenerationRequest withLogitBias(Map<Integer, Float> bias) {
        return withOptions(options.withLogitBias(bias));
    }

    /** This request asking to keep these prompt prefixes cached. */
    public GenerationRequest withCacheHints(List<CacheHint> hints) {
        return withOptions(options.withCacheHints(hints));
    }

    /** This request with speculative decoding left to the engine (null or true) or off for it (false). */
    public GenerationRequest withSpeculative(Boolean on) {
        return withOptions(options.withSpeculative(on));
    }

    /** This request as a turn of {@code key}'s conversation (null or blank: none). */
    public GenerationRequest withConversation(String key) {
        return new GenerationRequest(id, prompt, options, key, cacheNamespace);
    }

    /** This request's KV cache confined to {@code namespace} (null: the common one). */
    public GenerationRequest withCacheNamespace(String namespace) {
        return new GenerationRequest(id, prompt, options, conversation, namespace);
    }
}
