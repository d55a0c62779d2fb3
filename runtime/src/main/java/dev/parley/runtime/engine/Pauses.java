package dev.parley.runtime.engine;

import java.lang.foreign.Arena;

/**
 * Pausing a running generation for room in the KV cache, and resuming it: its KV state is copied out
 * of the context into memory owned by its {@link Generation} and its sequence emptied, so the others
 * go on; it comes back, oldest first, when something has ended and its state fits again. Which one
 * pauses is {@link RoomPolicy}'s decision; this class carries it out. Scheduler thread only.
 */
final class Pauses {

    private static final System.Logger LOG = System.getLogger("parley.scheduler");

    private final SequenceCache sequences;
    private final SlotTable slots;
    private final KvMover kv;
    private final Finisher finisher;

    Pauses(SequenceCache sequences, SlotTable slots, KvMover kv, Finisher finisher) {
        this.sequences = sequences;
        this.slots = slots;
        this.kv = kv;
        this.finisher = finisher;
    }

    /** Pauses slot {@code s}'s generation; false, with nothing changed, when its state cannot be copied out. */
    boolean pause(Slot s) {
        Generation g = s.gen;
        if (s.kv.count() > 0) {
            long bytes = sequences.stateBytes(s.kv);
            Arena arena = Arena.ofShared();
            try {
                java.lang.foreign.MemorySegment state = arena.allocate(bytes, 64);
                sequences.save(s.kv, state);
                g.holdPausedState(arena, state);
            } catch (RuntimeException | OutOfMemoryError e) {
                arena.close();
                LOG.log(System.Logger.Level.WARNING, "cannot pause request " + g.request().id() + ": " + e);
                return false;
            }
        }
        sequences.park(s.kv);
        g.paused = true;
        s.logitsRow = -1;
        slots.pausedOne();
        LOG.log(System.Logger.Level.INFO, "KV cache full: paused request " + g.request().id() + " (slot " + s.id + ", "
                + s.kv.count() + " tokens) until an older one ends");
        return true;
    }

    /** Resumes paused generations, oldest first, while their states fit back into the context. */
    void resume(StepPlan plan) {
        slots.roomChecked();
        while (slots.paused() > 0) {
            Slot oldest = slots.oldestPaused();
            Generation g = oldest.gen;
            boolean ok = g.pausedState == null;
            if (!ok && !kv.makeRoom(oldest, oldest.kv.count()) && slots.runningCount() > 0) {
                return; // no room yet, and trying would only be refused: wait for the next generation to end
            }
            while (!ok && g.paused) {
                ok = sequences.unpark(oldest.kv, g.pausedState);
                if (!ok && !kv.evictIdle(null)) {
                    if (slots.runningCount() > 0) {
                        return; // still no room: wait for the next generation to end
                    }
                    // Nothing else holds the cache and the state still does not fit: it never will.
                    finisher.fail(oldest, ErrorCode.CONTEXT_FULL, "context full: a paused request could not be resumed in an empty KV cache");
                    break;
                }
            }
            if (!ok) {
                continue; // failed above
            }
            g.dropPausedState();
            g.paused = false;
            slots.resumedOne();
            plan.resumed(oldest.id);
            LOG.log(System.Logger.Level.INFO, "resumed request " + g.request().id() + " (slot " + oldest.id + ")");
        }
    }
}
