package dev.parley.runtime.engine;

/**
 * Where a slot's draft tokens come from: n-gram lookup over its own history ({@link NgramDrafter}) or
 * a draft model ({@link DraftModel}). Either is deterministic in the history, which is what lets the
 * scheduler accept a draft token exactly when the target samples it without changing the output
 * distribution. Scheduler thread only.
 */
interface Drafter {

    /**
     * Writes up to {@code max} drafted tokens for sequence {@code seq} into {@code out} and returns how
     * many. The history is {@code tokens[0..count)} followed by {@code next}, the token decoded this step.
     */
    int draft(int seq, int[] tokens, int count, int next, int[] out, int max);

    /** Whether asking costs a decode even when nothing is drafted (a draft model): then a declined ask counts against the slot. */
    default boolean costly() {
        return false;
    }
}
