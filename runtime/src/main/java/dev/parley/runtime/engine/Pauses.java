package dev.parley.runtime.engine;

import dev.parley.runtime.kv.KvTiers;
import java.lang.foreign.Arena;

/**
 * Stopping a running generation for room in the KV cache, and resuming it. With a RAM tier it is
 * preempted: its KV state saved there (the entry pinned until it comes back) and its cells freed;
 * without one (or when the tier cannot take it) it is paused in place: the state copied into memory
 * owned by its {@link Generation} and its sequence emptied. Either way the others go on, and it comes
 * back, oldest first, when something has ended and its state fits again. Which one stops is
 * {@link RoomPolicy}'s decision; this class carries it out. Scheduler thread only.
 */
final class Pauses {

    private static final System.Logger LOG = System.getLogger("parley.scheduler");

    private final SequenceCache sequences;
    private final SlotTable slots;
    private final KvMover kv;
    private final Finisher finisher;
    private final EngineObserver observer;

    Pauses(SequenceCache sequences, SlotTable slots, KvMover kv, Finisher finisher, EngineObserver observer) {
        this.observer = observer;
        this.sequences = sequences;
        this.slots = slots;
        this.kv = kv;
        this.finisher = finisher;
    }

    /**
     * Stops slot {@code s}'s generation for room: its KV saved to the RAM tier and its cells freed
     * where the tiers can keep it, else paused in place. False, with nothing changed, when its state
     * cannot be copied out.
     */
    boolean pause(Slot s) {
        Generation g = s.gen;
        KvTiers.Match saved = kv.preemptToTier(s);
        if (saved != null) {
            g.preemptedTo = saved;
            g.preemptedCount = s.kv.count();
        } else if (s.kv.count() > 0) {
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
        g.preemptions++;
        s.logitsRow = -1;
        slots.pausedOne();
        observer.preempted(s.kv.count(), saved != null);
        LOG.log(System.Logger.Level.INFO, "KV cache full: " + (saved != null ? "preempted request " + g.request().id() + " to the RAM tier"
                : "paused request " + g.request().id()) + " (slot " + s.id + ", " + s.kv.count() + " tokens, preempted "
                + g.preemptions + " times) until room returns");
        return true;
    }

    /** Resumes paused generations, oldest first, while their states fit back into the context. */
    void resume(StepPlan plan) {
        slots.roomChecked();
        while (slots.paused() > 0) {
            Slot oldest = slots.oldestPaused();
            Generation g = oldest.gen;
            if (g.preemptedTo != null) {
                if (!resumeFromTier(oldest, g, plan)) {
                    return; // no room yet: wait for the next generation to end
                }
                continue;
            }
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
            resumed(oldest, g, plan);
        }
    }

    /** Resumes a generation preempted to the tier, or fails it; false when it must wait for room. */
    private boolean resumeFromTier(Slot s, Generation g, StepPlan plan) {
        if (!kv.makeRoom(s, g.preemptedTo.entryTokens().length) && slots.runningCount() > 0) {
            return false;
        }
        switch (kv.resumePreempted(s, g)) {
            case RESTORED -> resumed(s, g, plan);
            case NO_ROOM -> {
                if (slots.runningCount() > 0) {
                    return false;
                }
                kv.letGo(g);
                finisher.fail(s, ErrorCode.CONTEXT_FULL, "context full: a preempted request could not be resumed in an empty KV cache");
            }
            case LOST -> finisher.fail(s, ErrorCode.INTERNAL, "the KV state of a preempted request could not be read back from its tier");
        }
        return true;
    }

    private void resumed(Slot s, Generation g, StepPlan plan) {
        g.dropPausedState();
        g.paused = false;
        slots.resumedOne();
        plan.resumed(s.id);
        LOG.log(System.Logger.Level.INFO, "resumed request " + g.request().id() + " (slot " + s.id + ")");
    }
}
