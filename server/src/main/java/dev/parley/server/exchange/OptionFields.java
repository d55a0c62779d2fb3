package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestBody;
import dev.parley.server.api.SamplingFields;
import java.util.Set;

/**
 * Parley's own option fields, read into the engine's {@link GenerationOptions}: the JSON stays here, the
 * options travel on to the sampler as parsed. Dialects with other names (OpenAI's max_completion_tokens,
 * Anthropic's stop_sequences, Ollama's options object) read theirs and build the same record, with these
 * helpers for what they share. {@code context_overflow} is the exchange's, not the engine's: it is read
 * beside the options ({@link ContextOverflow#parse}) and rides on the {@link Turn}.
 */
public final class OptionFields {

    /** Parley's extension field: false generates this request without speculative decoding. */
    public static final String SPECULATIVE = "speculative";

    /** The fields {@link #parse} and {@link ContextOverflow#parse} read. */
    public static final Set<String> FIELDS = RequestBody.fields(SamplingFields.NAMES, Set.of("max_tokens", "stop", "grammar",
            ContextOverflow.FIELD, SPECULATIVE));

    private OptionFields() {
    }

    /** Parley's own fields: max_tokens, the sampling fields, stop (a list of at most 16 strings), grammar, speculative. */
    public static GenerationOptions parse(RequestBody b, Limits limits) {
        return new GenerationOptions(maxTokens(b, limits, "max_tokens"), SamplingFields.parse(b), b.optionalStrings("stop", false, 16),
                b.optionalString("grammar")).withSpeculative(speculative(b));
    }

    /**
     * The request's {@code speculative} field: false turns speculative decoding off for it (true or
     * absent, null here: the server's {@code --speculative} setting; a request cannot turn it on).
     */
    public static Boolean speculative(RequestBody b) {
        return b.optionalBool(SPECULATIVE);
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
