package dev.parley.runtime.engine;

/** A request waiting for a slot: its tokens are ready, so admission makes no native call but seq_rm. */
record Pending(GenerationRequest request, int[] prompt, String renderedPrompt, TokenStream stream, long enqueuedNanos) {}
