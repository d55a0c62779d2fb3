package dev.parley.runtime.engine;

/**
 * One generation's sampler: picks a token from a row of the last decode's logits. Made by
 * {@link StepExecutor#newSampler}; used and closed by the scheduler thread.
 */
interface TokenSampler extends AutoCloseable {

    /**
     * Samples from output row {@code row} of the last decode and accepts the token.
     *
     * @throws dev.parley.bindings.grammar.GrammarException when the grammar refuses every candidate
     */
    int sample(int row);

    /** Feeds a prompt token to the repetition penalties only (the grammar does not see the prompt). */
    void acceptPenaltyOnly(int token);

    @Override
    void close();
}
