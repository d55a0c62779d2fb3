package dev.parley.runtime.engine;

/**
 * The tokens one step decodes: a decode token per generating slot and prompt chunks. Made by
 * {@link StepExecutor#newBatch}, filled by the scheduler, decoded by the same executor; an interface so
 * that scheduling policy runs in tests against a plain array instead of a native {@code llama_batch}.
 */
interface StepBatch extends AutoCloseable {

    int capacity();

    int size();

    /** Rows still free. */
    int remaining();

    void clear();

    /** Adds a token of sequence {@code sequence} at {@code position}; returns its row (logits row when {@code output}). */
    int add(int token, int position, int sequence, boolean output);

    @Override
    void close();
}
