package dev.parley.runtime.engine;

/**
 * What to do when the KV cache has no room for a planned batch, one action at a time, cheapest
 * first: drop this step's drafts (they are only a bet), then empty the least recently used idle
 * slot (its KV saved to the tiers), then halve the prefill, then stop a running generation so the
 * older ones go on: the newest that was stopped fewer than {@link #MAX_PREEMPTIONS} times, never the
 * oldest ({@link SlotTable#preemptionVictim}); only a lone generation whose next token does not fit fails.
 * Decides only; the {@link StepRunner} carries the action out and plans the batch again.
 */
final class RoomPolicy {

    /** One decision about room. */
    sealed interface Action {}

    /** Plan the step again without drafts. */
    record DropDrafts() implements Action {}

    /** Empty an idle slot's cells (saved to the tiers first). */
    record EvictIdle(int slot) implements Action {}

    /** Plan the step again with at most {@code prefillCap} prompt tokens. */
    record ShrinkPrefill(int prefillCap) implements Action {}

    /** Stop a running generation (preempted to the RAM tier, or paused in place) until room returns. */
    record Pause(int slot) implements Action {}

    /** Fail a generation: nothing else would make room for it. */
    record Fail(int slot) implements Action {}

    /**
     * Times one generation may be stopped for room while another running one (not the oldest) has
     * been stopped fewer times: past it, the others go first, so one sequence does not thrash.
     */
    static final int MAX_PREEMPTIONS = 3;

    private final SlotTable slots;

    RoomPolicy(SlotTable slots) {
        this.slots = slots;
    }

    /** The next action for a batch {@code plan} that found no room. */
    Action decide(StepPlan plan) {
        if (!plan.draftsDropped() && plan.hasDrafts()) {
            return new DropDrafts();
        }
        Slot idle = slots.lruIdleHolding(null);
        if (idle != null) {
            return new EvictIdle(idle.id);
        }
        int prefill = plan.prefillTokens();
        if (prefill > 1) {
            return new ShrinkPrefill(Math.max(1, prefill / 2));
        }
        Slot victim = slots.preemptionVictim(MAX_PREEMPTIONS);
        return victim != null ? new Pause(victim.id) : new Fail(slots.newestRunning().id);
    }
}
