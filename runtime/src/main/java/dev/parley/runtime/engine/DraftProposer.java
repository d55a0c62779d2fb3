package dev.parley.runtime.engine;

/**
 * Asks the {@link Drafter} for each speculating slot's draft once a step, after its next token is
 * sampled and before the batch is planned, so that planning only decides: a draft model's own
 * decodes run here, and the {@link StepPlanner} takes the proposals as they are or, when the batch
 * with them found no KV room, leaves them out. Each slot's room leaves a row for every decoding
 * slot and what the slots before it proposed, none past its sequence's capacity or its token limit.
 * Scheduler thread only.
 */
final class DraftProposer {

    private final SlotTable slots;
    private final Speculation speculation;
    private final Drafter drafter;
    private final int capacity;

    DraftProposer(SlotTable slots, Speculation speculation, Drafter drafter, int capacity) {
        this.slots = slots;
        this.speculation = speculation;
        this.drafter = drafter;
        this.capacity = capacity;
    }

    /** Writes this step's proposals into {@code plan}: a draft per decoding slot whose gate is open. */
    void propose(StepPlan plan) {
        int decoding = 0;
        for (Slot s : slots.all()) {
            if (s.running() && s.nextToken >= 0) {
                decoding++;
            }
        }
        int room = capacity - decoding;
        for (Slot s : slots.all()) {
            if (s.running() && s.nextToken >= 0 && s.gen.speculate && s.gen.gate.open() && room > 0) {
                room -= propose(plan, s, room);
            }
        }
    }

    private int propose(StepPlan plan, Slot s, int room) {
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
        plan.proposed(s.id, n);
        return n;
    }
}
