package dev.parley.runtime.engine;

import dev.parley.bindings.grammar.Grammar;

/**
 * A request waiting for a slot: its tokens are ready and its grammar checked (null when it has none),
 * so admission makes no native call but seq_rm and the sampler's creation.
 */
record Pending(GenerationRequest request, int[] prompt, String renderedPrompt, Grammar grammar, TokenStream stream, long enqueuedNanos) {}
