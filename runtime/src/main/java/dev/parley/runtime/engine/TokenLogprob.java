package dev.parley.runtime.engine;

import java.util.List;

/**
 * The log-probability of one generated token under the model's own distribution at that step (the
 * raw logits: before {@code logit_bias}, temperature, top-k/p and grammar, which work on a copy), and the
 * {@code top} most likely tokens
 * there, most likely first: what OpenAI's {@code logprobs.content[]} carries.
 */
public record TokenLogprob(int token, String text, float logprob, List<Alternative> top) {

    /** One of the most likely tokens at a step. */
    public record Alternative(int token, String text, float logprob) {}
}
