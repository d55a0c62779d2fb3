package dev.parley.runtime.engine;

import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Takes queued requests into free slots, oldest first, while the KV cells hold them (the slot count
 * is the ceiling of concurrent sequences, the cells the measure), and ends the ones that waited too
 * long or were cancelled while queued. The slot chosen is the free one whose cache shares the longest prefix
 * with the prompt, then the least recently used; slots held for another conversation come last.
 * While a generation is paused for room, nothing new is admitted: it gets the room that frees first.
 * Scheduler thread only (the one consumer of the queue).
 */
final class Admission {

    private final ArrayBlockingQueue<Pending> queue;
    private final long queueTimeoutNanos;
    private final boolean prefixReuse;
    /** Cells of the one KV cache all slots share; 0 when each slot has its own (admission by slot only). */
    private final int cells;
    private final SlotTable slots;
    private final SlotStarter starter;
    private final Scheduler.Counters counters;
    private final EngineObserver observer;

    Admission(ArrayBlockingQueue<Pending> queue, long queueTimeoutNanos, boolean prefixReuse, int cells, SlotTable slots,
              SlotStarter starter, Scheduler.Counters counters, EngineObserver observer) {
        this.cells = cells;
        this.queue = queue;
        this.queueTimeoutNanos = queueTimeoutNanos;
        this.prefixReuse = prefixReuse;
        this.slots = slots;
        this.starter = starter;
        this.counters = counters;
        this.observer = observer;
    }

    /** Admits what fits; sleeps a little on the queue when nothing at all is going on. */
    void admit(StepPlan plan) throws InterruptedException {
        while (slots.active() < slots.size() && slots.paused() == 0) {
            Pending p;
            if (slots.active() == 0 && !slots.hasLogitsPending()) {
                p = queue.poll(50, TimeUnit.MILLISECONDS); // idle: sleep until work arrives
            } else {
                Pending head = queue.peek();
                if (head == null || !fitsCells(head)) {
                    return; // arrival order: nothing overtakes a head that waits for room (expireQueued may end it)
                }
                p = queue.poll(); // the head: this thread is the only taker
            }
            if (p == null) {
                return;
            }
            long now = System.nanoTime();
            if (!endedWhileWaiting(p, now)) {
                Slot s = chooseSlot(p, now);
                if (starter.start(s, p, now)) {
                    plan.admitted(s.id);
                }
            }
        }
    }

    /**
     * Whether the cells of the one cache all slots share hold {@code p} beside what the active
     * generations hold or will hold: its prompt and a reserve for its first tokens (1/64 of the
     * cells, at most its {@code max_tokens}). Idle slots' cells do not count: they are emptied (saved
     * to the tiers) when the room is needed. Without such a cache (one per slot) a free slot is room.
     */
    boolean fitsCells(Pending p) {
        if (cells <= 0) {
            return true;
        }
        int reserve = Math.min(p.request().maxTokens(), Math.max(1, cells / RESERVE_SHARE));
        return slots.committedCells() + p.prompt().length + reserve <= cells;
    }

    /** The generation reserve at admission is the cells over this. */
    static final int RESERVE_SHARE = 64;

    /**
     * The free slot whose cache shares the longest prefix with the prompt, then the least recently
     * used; slots reserved for another conversation only when no other is free.
     */
    Slot chooseSlot(Pending p, long now) {
        int[] prompt = p.prompt();
        String ns = p.request().cacheNamespace();
        String conversation = p.request().conversation();
        Slot best = null;
        int bestPrefix = -1;
        boolean bestHeld = true;
        for (Slot s : slots.all()) {
            if (s.active()) {
                continue;
            }
            int prefix = prefixReuse ? s.commonPrefix(prompt, ns) : 0;
            boolean held = s.heldAgainst(conversation, now);
            boolean better = best == null || bestHeld && !held
                    || held == bestHeld && (prefix > bestPrefix || prefix == bestPrefix && s.lastUsedNanos < best.lastUsedNanos);
            if (better) {
                best = s;
                bestPrefix = prefix;
                bestHeld = held;
            }
        }
        return best;
    }

    /** Ends the queued requests that were cancelled or waited too long. */
    void expireQueued() {
        if (queue.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (Iterator<Pending> it = queue.iterator(); it.hasNext(); ) {
            if (endedWhileWaiting(it.next(), now)) {
                it.remove(); // only this thread takes from the queue, so the request is still there
            }
        }
    }

    /** Ends a waiting request that was cancelled or waited too long; true if it did. */
    private boolean endedWhileWaiting(Pending p, long now) {
        if (p.stream().isCancelled()) {
            counters.cancelled.increment();
            observer.requestFinished(FinishReason.CANCELLED, 0);
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - p.enqueuedNanos());
            p.stream().emit(new GenerationEvent.Done(FinishReason.CANCELLED,
                    new GenerationEvent.Usage(p.prompt().length, 0, 0, 0, waited, 0, 0, 0)));
            return true;
        }
        if (now - p.enqueuedNanos() > queueTimeoutNanos) {
            counters.failed.increment();
            observer.requestFailed(ErrorCode.QUEUE_TIMEOUT);
            String why = slots.active() < slots.size()
                    ? "room in the KV cache; the running generations kept its " + cells + " cells full"
                    : "a free slot; all " + slots.size() + " slots stayed busy";
            p.stream().emit(new GenerationEvent.Failed(ErrorCode.QUEUE_TIMEOUT, "waited "
                    + TimeUnit.NANOSECONDS.toMillis(now - p.enqueuedNanos()) + " ms for " + why));
            return true;
        }
        return false;
    }

    /** At shutdown: every queued request fails with {@code code}. */
    void failQueued(ErrorCode code, String message) {
        Pending p;
        while ((p = queue.poll()) != null) {
            p.stream().emit(new GenerationEvent.Failed(code, message));
        }
    }

    boolean queueEmpty() {
        return queue.isEmpty();
    }
}
