package dev.parley.runtime.engine;

import dev.parley.bindings.DecodeStatus;

/**
 * Carries out a step's plan: writes it into the batch (each slot's positions continuing what its
 * sequence holds, logits rows where sampling will read them), decodes it, and records what was
 * decoded in the {@link SequenceCache}. When the KV cache has no room, it asks the
 * {@link RoomPolicy}, carries the action out and plans again, until a batch fits or nothing is left.
 */
final class StepRunner {

    private final StepExecutor ctx;
    private final StepBatch batch;
    private final SlotTable slots;
    private final SequenceCache sequences;
    private final StepPlanner planner;
    private final RoomPolicy room;
    private final KvMover kv;
    private final Pauses pauses;
    private final Finisher finisher;
    /** Prompt tokens a batch may carry: halved when the cache had no room, doubled back after each decode. */
    private int prefillCap;

    StepRunner(StepExecutor ctx, StepBatch batch, SlotTable slots, SequenceCache sequences, StepPlanner planner, RoomPolicy room,
               KvMover kv, Pauses pauses, Finisher finisher) {
        this.ctx = ctx;
        this.batch = batch;
        this.slots = slots;
        this.sequences = sequences;
        this.planner = planner;
        this.room = room;
        this.kv = kv;
        this.pauses = pauses;
        this.finisher = finisher;
        this.prefillCap = batch.capacity();
    }

    /** Plans the batch; false when there is nothing to decode. */
    boolean plan(StepPlan plan) {
        return planner.plan(plan, prefillCap);
    }

    /** Rows of the last batch written (what {@link #run} decoded or last tried to). */
    int rows() {
        return batch.size();
    }

    /** Decodes a planned batch, planned again as long as the cache has no room for it. */
    void run(StepPlan plan) {
        fill(plan);
        while (true) {
            DecodeStatus status = ctx.decode(batch);
            if (status == DecodeStatus.OK) {
                prefillCap = Math.min(batch.capacity(), prefillCap * 2);
                committed(plan);
                return;
            }
            if (status != DecodeStatus.NO_KV_SLOT) {
                for (Slot s : slots.all()) {
                    if (s.active() && (plan.chunkOf(s.id) > 0 || s.nextToken >= 0)) {
                        finisher.fail(s, ErrorCode.INTERNAL, "llama_decode failed: " + status);
                    }
                }
                return;
            }
            RoomPolicy.Action action = room.decide(plan);
            plan.decided(action);
            switch (action) {
                case RoomPolicy.DropDrafts d -> plan.dropDrafts();
                case RoomPolicy.EvictIdle e -> {
                    kv.evict(slots.get(e.slot()));
                    continue; // the same batch again, with more room
                }
                case RoomPolicy.ShrinkPrefill p -> prefillCap = p.prefillCap();
                case RoomPolicy.Pause p -> {
                    Slot s = slots.get(p.slot());
                    if (!pauses.pause(s)) {
                        fail(s);
                    }
                }
                case RoomPolicy.Fail f -> fail(slots.get(f.slot()));
            }
            for (Slot s : slots.all()) {
                s.logitsRow = -1;
            }
            if (!plan(plan)) {
                batch.clear();
                return;
            }
            fill(plan);
        }
    }

    private void fail(Slot newest) {
        finisher.fail(newest, ErrorCode.CONTEXT_FULL, "context full: the KV cache has no room for this request's next token ("
                + ctx.contextSize() + " cells shared by " + slots.size() + " slots), and it was the request that started last");
    }

    /** Writes the plan into the batch: decode tokens with their drafts, then prompt chunks. */
    private void fill(StepPlan plan) {
        batch.clear();
        for (int i = 0; i < plan.decodeCount(); i++) {
            Slot s = slots.get(plan.decodeSlot(i));
            int pos = s.kv.count();
            s.logitsRow = batch.add(s.nextToken, pos, s.id, true);
            int[] draft = plan.draft(s.id);
            for (int k = 0, n = plan.draftLength(s.id); k < n; k++) {
                batch.add(draft[k], pos + 1 + k, s.id, true);
            }
        }
        for (int i = 0; i < plan.chunkCount(); i++) {
            Slot s = slots.get(plan.chunkSlot(i));
            int[] prompt = s.prompt();
            int cached = s.kv.count();
            int last = prompt.length - 1;
            for (int k = 0, n = plan.chunkTokens(i); k < n; k++) {
                int pos = cached + k;
                int row = batch.add(prompt[pos], pos, s.id, pos == last);
                if (pos == last) {
                    s.logitsRow = row;
                }
            }
        }
    }

    /** After a successful decode: the batch's tokens are now in each slot's cache. */
    private void committed(StepPlan plan) {
        for (int i = 0; i < plan.decodeCount(); i++) {
            Slot s = slots.get(plan.decodeSlot(i));
            sequences.appended(s.kv, s.nextToken);
            s.nextToken = -1;
            int[] draft = plan.draft(s.id);
            for (int k = 0, n = plan.draftLength(s.id); k < n; k++) {
                sequences.appended(s.kv, draft[k]); // held until sampling accepts or cuts them
            }
        }
        for (int i = 0; i < plan.chunkCount(); i++) {
            Slot s = slots.get(plan.chunkSlot(i));
            sequences.appended(s.kv, s.prompt(), plan.chunkTokens(i));
        }
    }
}
