package dev.parley.runtime.engine;

import dev.parley.bindings.grammar.Grammar;
import dev.parley.runtime.format.Thinking;

/**
 * A request waiting for a slot: its tokens are ready, its grammar checked (null when it has none) and
 * where its reply starts read from the rendered prompt by the chat format, so admission makes no native
 * call but seq_rm and the sampler's creation.
 */
record Pending(GenerationRequest request, int[] prompt, Thinking.Start thinking, Grammar grammar, TokenStream stream, long enqueuedNanos) {

    /** A prompt no chat format is known for (the policy tests' prompts): the markers every format reads. */
    Pending(GenerationRequest request, int[] prompt, String renderedPrompt, Grammar grammar, TokenStream stream, long enqueuedNanos) {
        this(request, prompt, Thinking.UNTEMPLATED.start(renderedPrompt), grammar, stream, enqueuedNanos);
    }
}
