package dev.parley.runtime.engine;

/**
 * Decides a step's batch: a decode token for every running slot that has one, each followed by the
 * draft the {@link DraftProposer} proposed for it (unless this step's drafts were dropped for room),
 * then in the rest of the batch (within the prefill budget) chunks of pending prompts, oldest
 * admission first, so a long prompt never stalls the other streams and prompts are served in arrival
 * order. Writes nothing but the plan.
 */
final class StepPlanner {

    private final SlotTable slots;
    private final int capacity;

    StepPlanner(SlotTable slots, int capacity) {
        this.slots = slots;
        this.capacity = capacity;
    }

    /**
     * Plans the batch into {@code plan}: at most {@code prefillCap} prompt tokens, and the proposed
     * drafts only when the plan's drafts were not dropped this step. False when there is nothing to decode.
     */
    boolean plan(StepPlan plan, int prefillCap) {
        plan.clearBatch();
        int rows = 0;
        for (Slot s : slots.all()) {
            if (s.running() && s.nextToken >= 0) {
                plan.decode(s.id);
                rows++;
                if (!plan.draftsDropped()) {
                    int n = plan.proposed(s.id);
                    plan.drafted(s.id, n);
                    rows += n;
                }
            }
        }
        int budget = Math.min(capacity - rows, prefillCap);
        while (budget > 0) {
            Slot next = null;
            for (Slot s : slots.all()) {
                if (s.state == SlotInfo.State.PREFILL && s.running() && plan.chunkOf(s.id) == 0 && s.logitsRow < 0
                        && s.kv.count() < s.prompt().length && (next == null || s.gen.admissionOrder < next.gen.admissionOrder)) {
                    next = s;
                }
            }
            if (next == null) {
                break;
            }
            int n = Math.min(budget, next.prompt().length - next.kv.count());
            plan.chunk(next.id, n);
            budget -= n;
        }
        return !plan.isEmpty();
    }
}
