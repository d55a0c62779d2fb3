package dev.parley.runtime.engine;

/**
 * Decides a step's batch: a decode token for every running slot that has one, each followed by
 * the tokens drafted from its own history when it speculates, then in the rest of the batch (within
 * the prefill budget) chunks of pending prompts, oldest admission first, so a long prompt never
 * stalls the other streams and prompts are served in arrival order. Writes nothing but the plan.
 */
final class StepPlanner {

    private final SlotTable slots;
    /** Null when speculative decoding is off (or the model cannot roll a sequence back). */
    private final Speculation speculation;
    /** Where drafts come from: n-gram lookup, or a draft model (whose decodes run here, on this thread). */
    private final Drafter drafter;
    private final int capacity;

    StepPlanner(SlotTable slots, Speculation speculation, Drafter drafter, int capacity) {
        this.slots = slots;
        this.speculation = speculation;
        this.drafter = drafter;
        this.capacity = capacity;
    }

    /**
     * Plans the batch into {@code plan}: at most {@code prefillCap} prompt tokens, and drafts only
     * when the plan's drafts were not dropped this step. False when there is nothing to decode.
     */
    boolean plan(StepPlan plan, int prefillCap) {
        plan.clearBatch();
        int decoding = 0;
        for (Slot s : slots.all()) {
            if (s.running() && s.nextToken >= 0) {
                decoding++;
            }
        }
        int rows = 0;
        for (Slot s : slots.all()) {
            if (s.running() && s.nextToken >= 0) {
                plan.decode(s.id);
                rows++;
                decoding--;
                if (speculation != null && s.gen.speculate && !plan.draftsDropped() && s.gen.gate.open()) {
                    rows += draft(plan, s, capacity - rows - decoding); // every other decoding slot keeps its row
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

    /**
     * Drafts up to {@code room} tokens after slot {@code s}'s next token; none past the slot's
     * capacity or its token limit. Returns how many.
     */
    private int draft(StepPlan plan, Slot s, int room) {
        int pos = s.kv.count() + 1;
        int max = Math.min(Math.min(speculation.maxDraft(), room), s.kv.capacity() - pos);
        max = Math.min(max, s.gen.request().maxTokens() - s.gen.generated - 1); // the last token needs no draft after it
        if (max <= 0) {
            return 0;
        }
        int n = drafter.draft(s.id, s.kv.tokens(), s.kv.count(), s.nextToken, plan.draft(s.id), max);
        if (n == 0 && drafter.costly()) {
            s.gen.gate.declined();
        }
        plan.drafted(s.id, n);
        return n;
    }
}
