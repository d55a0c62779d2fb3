package dev.parley.runtime.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scheduler's slots and the counts every part of it decides by: how many generations are
 * active and paused, and the admission rank of the next one. Questions about the slots ("the newest
 * running", "the least recently used idle one") are answered here so that each decision is written
 * once. Scheduler thread only, except {@link #active()}.
 */
final class SlotTable {

    private final Slot[] slots;
    private final AtomicInteger activeCount = new AtomicInteger();
    /** Generations paused for room in the KV cache; none are admitted while any waits. */
    private int pausedCount;
    /** Something ended since the last try to resume a paused generation. */
    private boolean roomMayHaveFreed;
    private long admissions;

    SlotTable(Slot[] slots) {
        this.slots = slots;
    }

    int size() {
        return slots.length;
    }

    Slot get(int id) {
        return slots[id];
    }

    /** The live array, in slot order (read only). */
    Slot[] all() {
        return slots;
    }

    int active() {
        return activeCount.get();
    }

    int paused() {
        return pausedCount;
    }

    boolean roomMayHaveFreed() {
        return roomMayHaveFreed;
    }

    void roomChecked() {
        roomMayHaveFreed = false;
    }

    /** A generation was admitted: its admission rank. */
    long started() {
        activeCount.incrementAndGet();
        return admissions++;
    }

    /** A generation ended (finished, cancelled or failed): its cells may be someone else's now. */
    void ended(Slot s) {
        if (s.paused()) {
            pausedCount--;
        }
        roomMayHaveFreed = true;
        activeCount.decrementAndGet();
    }

    void pausedOne() {
        pausedCount++;
        roomMayHaveFreed = false;
    }

    void resumedOne() {
        pausedCount--;
    }

    boolean hasLogitsPending() {
        for (Slot s : slots) {
            if (s.logitsRow >= 0) {
                return true;
            }
        }
        return false;
    }

    int runningCount() {
        int n = 0;
        for (Slot s : slots) {
            if (s.running()) {
                n++;
            }
        }
        return n;
    }

    /** The running generation admitted last, or null. */
    Slot newestRunning() {
        Slot newest = null;
        for (Slot s : slots) {
            if (s.running() && (newest == null || s.gen.admissionOrder > newest.gen.admissionOrder)) {
                newest = s;
            }
        }
        return newest;
    }

    /**
     * The running generation to stop for room: never the oldest running one (so the oldest always
     * goes on and every generation eventually is the oldest: none starves), the newest of the others
     * that were stopped fewer than {@code bound} times, and only when all of those reached the bound
     * the newest of them anyway (stopping something beats failing it). Null with fewer than two running.
     */
    Slot preemptionVictim(int bound) {
        Slot oldest = null;
        int running = 0;
        for (Slot s : slots) {
            if (s.running()) {
                running++;
                if (oldest == null || s.gen.admissionOrder < oldest.gen.admissionOrder) {
                    oldest = s;
                }
            }
        }
        if (running < 2) {
            return null;
        }
        Slot underBound = null;
        Slot any = null;
        for (Slot s : slots) {
            if (s.running() && s != oldest) {
                if (any == null || s.gen.admissionOrder > any.gen.admissionOrder) {
                    any = s;
                }
                if (s.gen.preemptions < bound && (underBound == null || s.gen.admissionOrder > underBound.gen.admissionOrder)) {
                    underBound = s;
                }
            }
        }
        return underBound != null ? underBound : any;
    }

    /**
     * Cells the active generations hold or will hold without generating more: a prefilling one its
     * whole prompt, a paused or preempted one what it held (its cells come back on resume).
     */
    int committedCells() {
        int n = 0;
        for (Slot s : slots) {
            Generation g = s.gen;
            if (g != null) {
                int held = g.preemptedTo != null ? g.preemptedCount : s.kv.count();
                n += Math.max(held, g.prompt().length);
            }
        }
        return n;
    }

    /** The paused generation admitted first, or null. */
    Slot oldestPaused() {
        Slot oldest = null;
        for (Slot s : slots) {
            if (s.paused() && (oldest == null || s.gen.admissionOrder < oldest.gen.admissionOrder)) {
                oldest = s;
            }
        }
        return oldest;
    }

    /** The least recently used idle slot that holds cells, other than {@code keep}; null when none. */
    Slot lruIdleHolding(Slot keep) {
        Slot lru = null;
        for (Slot s : slots) {
            if (s != keep && !s.active() && s.kv.count() > 0 && (lru == null || s.lastUsedNanos < lru.lastUsedNanos)) {
                lru = s;
            }
        }
        return lru;
    }

    /** Cells idle slots other than {@code keep} hold: what emptying them would free. */
    int idleCells(Slot keep) {
        int n = 0;
        for (Slot o : slots) {
            if (o != keep && !o.active()) {
                n += o.kv.count();
            }
        }
        return n;
    }

    /** Cells held by slots other than {@code s} (a paused slot's sequence is empty). */
    int cellsHeldBesides(Slot s) {
        int n = 0;
        for (Slot o : slots) {
            if (o != s && !o.paused()) {
                n += o.kv.count();
            }
        }
        return n;
    }
}
