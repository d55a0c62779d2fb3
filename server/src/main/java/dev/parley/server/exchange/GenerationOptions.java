package dev.parley.server.exchange;

import dev.parley.runtime.engine.CacheHint;
import dev.parley.runtime.engine.Sampling;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestBody;
import dev.parley.server.api.SamplingFields;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How to generate, whatever the dialect: the token limit, sampling, stop strings and a grammar.
 *
 * @param grammar  a GBNF grammar, or null
 * @param overflow what to do when the conversation is longer than a slot's context; null: the route's
 *        default ({@link ContextOverflow#orDefault})
 * @param topLogprobs -1: no logprobs; else each piece carries its tokens' logprobs with this many alternatives
 * @param logitBias token id to a bias added to its logit (-100..100), ids checked against the vocabulary
 * @param cacheHints prompt prefixes the client asked to keep cached (OpenAI's prompt_cache_key, Anthropic's cache_control)
 */
public record GenerationOptions(int maxTokens, Sampling sampling, List<String> stop, String grammar, ContextOverflow overflow,
                                int topLogprobs, Map<Integer, Float> logitBias, List<CacheHint> cacheHints, Boolean speculative) {

    /** Parley's extension field: false generates this request without speculative decoding. */
    public static final String SPECULATIVE = "speculative";

    /** The fields {@link #parse} reads. */
    public static final Set<String> FIELDS = RequestBody.fields(SamplingFields.NAMES, Set.of("max_tokens", "stop", "grammar",
            ContextOverflow.FIELD, SPECULATIVE));

    public GenerationOptions {
        stop = List.copyOf(stop);
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
        cacheHints = cacheHints == null ? List.of() : List.copyOf(cacheHints);
    }

    /** The server's speculative decoding setting. */
    public GenerationOptions(int maxTokens, Sampling sampling, List<String> stop, String grammar, ContextOverflow overflow,
                             int topLogprobs, Map<Integer, Float> logitBias, List<CacheHint> cacheHints) {
        this(maxTokens, sampling, stop, grammar, overflow, topLogprobs, logitBias, cacheHints, null);
    }

    /** Without cache hints. */
    public GenerationOptions(int maxTokens, Sampling sampling, List<String> stop, String grammar, ContextOverflow overflow,
                             int topLogprobs, Map<Integer, Float> logitBias) {
        this(maxTokens, sampling, stop, grammar, overflow, topLogprobs, logitBias, List.of());
    }

    /** These options asking to keep these prompt prefixes cached. */
    public GenerationOptions withCacheHints(List<CacheHint> hints) {
        return new GenerationOptions(maxTokens, sampling, stop, grammar, overflow, topLogprobs, logitBias, hints, speculative);
    }

    /**
     * These options with the request's {@code speculative} field: false turns speculative decoding off
     * for it (true or absent: the server's {@code --speculative} setting; a request cannot turn it on).
     */
    public GenerationOptions withSpeculative(RequestBody b) {
        return new GenerationOptions(maxTokens, sampling, stop, grammar, overflow, topLogprobs, logitBias, cacheHints,
                b.optionalBool(SPECULATIVE));
    }

    /** Options with the route's default overflow policy, without logprobs or a logit bias. */
    public GenerationOptions(int maxTokens, Sampling sampling, List<String> stop, String grammar) {
        this(maxTokens, sampling, stop, grammar, null);
    }

    /** Without logprobs ({@code topLogprobs} -1) or a logit bias. */
    public GenerationOptions(int maxTokens, Sampling sampling, List<String> stop, String grammar, ContextOverflow overflow) {
        this(maxTokens, sampling, stop, grammar, overflow, -1, Map.of());
    }

    /** Parley's own fields: max_tokens, the sampling fields, stop (a list of at most 16 strings), grammar, context_overflow. */
    public static GenerationOptions parse(RequestBody b, Limits limits) {
        return new GenerationOptions(maxTokens(b, limits, "max_tokens"), SamplingFields.parse(b), b.optionalStrings("stop", false, 16),
                b.optionalString("grammar"), ContextOverflow.parse(b)).withSpeculative(b);
    }

    /**
     * The token limit from the first of {@code fields} the body has (OpenAI's max_completion_tokens
     * before max_tokens, say), checked against the server's limit; the server's default when none is there.
     */
    public static int maxTokens(RequestBody b, Limits limits, String... fields) {
        Integer max = null;
        for (int i = fields.length - 1; i >= 0; i--) {
            Integer v = b.optionalInt(fields[i], Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (v != null && v < 1) {
                throw ApiError.badRequest(fields[i], "field '" + fields[i] + "' must be at least 1, got " + v);
            }
            if (v != null && v > limits.maxTokens()) {
                throw ApiError.badRequest(fields[i], "field '" + fields[i] + "' is " + v + ", over this server's limit of " + limits.maxTokens());
            }
            max = v != null ? v : max;
        }
        return max != null ? max : limits.defaultMaxTokens();
    }
}
