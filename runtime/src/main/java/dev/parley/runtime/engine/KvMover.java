package dev.parley.runtime.engine;

import dev.parley.runtime.kv.KvTiers;
import dev.parley.runtime.kv.SharedTier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Moves slots' KV between the context and the {@link KvTiers}, through their load/store seam: saves
 * before a slot's cells are cut or emptied, preempts a running sequence to the tier and restores it,
 * copies a finished turn for the shared tier, and empties idle slots when a restore or a decode needs
 * their cells (the restore at admission is {@link PrefixRestore}'s).
 * What each sequence holds changes through the {@link SequenceCache} only. Scheduler thread only.
 */
final class KvMover {

    private static final System.Logger LOG = System.getLogger("parley.scheduler");

    /** Shorter sequences are not worth a save (the tiers index whole blocks of tokens). */
    static final int MIN_SAVE_TOKENS = 32;

    private final StepExecutor ctx;
    private final SequenceCache sequences;
    private final SlotTable slots;
    /** Null when there are no tiers. */
    private final KvTiers tiers;
    /** Null without a shared tier: completed turns are queued for it. */
    private final SharedTier shared;
    private final EngineObserver observer;
    /** Whether a restore needs that many free cells of the one cache all slots share (see {@link #makeRoom}). */
    private final boolean countCells;

    KvMover(StepExecutor ctx, SequenceCache sequences, SlotTable slots, KvTiers tiers, SharedTier shared, EngineObserver observer) {
        this.ctx = ctx;
        this.sequences = sequences;
        this.slots = slots;
        this.tiers = tiers;
        this.shared = tiers != null ? shared : null;
        this.observer = observer;
        this.countCells = ctx.sharedCells();
    }

    boolean hasTiers() {
        return tiers != null;
    }

    /** Null without a shared tier. */
    SharedTier shared() {
        return shared;
    }

    static CacheSource sourceOf(KvTiers.Tier tier) {
        return switch (tier) {
            case RAM -> CacheSource.RAM;
            case DISK -> CacheSource.DISK;
            case SHARED -> CacheSource.SHARED;
        };
    }

    /** Whether cutting slot {@code s} to {@code keep} tokens would lose a prefix a client's cache hint pins. */
    boolean cutLosesPin(Slot s, int keep) {
        return tiers != null && tiers.pinnedBeyond(s.kv.namespace(), s.kv.tokens(), s.kv.count(), keep);
    }

    /** Saves what slot {@code s} holds to the tiers, unless they hold it already. Its KV stays in place. */
    void offload(Slot s) {
        SequenceCache.Sequence kv = s.kv;
        if (tiers == null || kv.count() < MIN_SAVE_TOKENS || tiers.holds(kv.namespace(), kv.tokens(), kv.count())) {
            return;
        }
        if (!sequences.consistent(kv)) {
            LOG.log(System.Logger.Level.WARNING, "slot " + s.id + " holds positions up to " + sequences.maxPosition(kv) + " but "
                    + kv.count() + " tokens are recorded; not saving it");
            return;
        }
        long t0 = System.nanoTime();
        long bytes = sequences.stateBytes(kv);
        KvTiers.Store store = tiers.prepareStore(kv.namespace(), kv.tokens(), kv.count(), bytes, s.conversation != null);
        if (store == null) {
            return;
        }
        long written = 0;
        try {
            written = sequences.save(kv, store.segment());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot save slot " + s.id + "'s KV state: " + e.getMessage());
        } finally {
            tiers.completeStore(store, written);
        }
        if (written > 0) {
            observer.kvSaved(kv.count(), written, System.nanoTime() - t0);
        }
    }

    /** Saves every idle slot's KV (at shutdown, so the disk tier keeps it). */
    void offloadIdle() {
        if (tiers == null) {
            return;
        }
        for (Slot s : slots.all()) {
            if (!s.active()) {
                try {
                    offload(s);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot save slot " + s.id + " at shutdown: " + e);
                }
            }
        }
    }

    /** Empties the least recently used idle slot other than {@code keep}, saving it to the tiers first. */
    boolean evictIdle(Slot keep) {
        Slot lru = slots.lruIdleHolding(keep);
        if (lru == null) {
            return false;
        }
        evict(lru);
        return true;
    }

    /** Empties idle slot {@code s}, saving it to the tiers first. */
    void evict(Slot s) {
        offload(s);
        sequences.clear(s.kv);
    }

    /** How a preempted sequence's resume went. */
    enum Resume { RESTORED, NO_ROOM, LOST }

    /**
     * Saves running slot {@code s}'s KV to the tiers so that its cells can be freed (a preemption),
     * and pins the entry there until {@link #resumePreempted} or {@link #letGo}; null when the tiers
     * cannot keep it in RAM (no RAM tier, shorter than a block, over its budget): the caller pauses in place.
     */
    KvTiers.Match preemptToTier(Slot s) {
        SequenceCache.Sequence kv = s.kv;
        if (tiers == null || kv.count() < MIN_SAVE_TOKENS || sequences.stateBytes(kv) > tiers.settings().ramBudgetBytes()) {
            return null; // only RAM: a state on its way to disk may not be readable when room returns
        }
        offload(s);
        KvTiers.Match m = tiers.lookup(kv.namespace(), kv.tokens(), kv.count());
        if (m == null) {
            return null;
        }
        // An entry that holds more (another branch's) is cut back after the restore: only where cuts work.
        if (m.tokens() < kv.count() || m.entryTokens().length > kv.count() && !ctx.cutsSequences()) {
            tiers.release(m, false);
            return null;
        }
        return m;
    }

    /**
     * Restores a preempted generation's KV from its pinned entry into its slot, cut back to what it
     * held, and unpins the entry (it stays in the tier as any saved state does). NO_ROOM leaves the
     * entry pinned for a later try; LOST (unreadable) unpins it.
     */
    Resume resumePreempted(Slot s, Generation g) {
        KvTiers.Match m = g.preemptedTo;
        int[] tokens = m.entryTokens();
        long t0 = System.nanoTime();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = tiers.load(m, arena);
            if (state == null) {
                letGo(g);
                return Resume.LOST;
            }
            for (int tries = 0; sequences.restore(s.kv, state, tokens) != null; tries++) {
                if (tries >= slots.size() || !evictIdle(s)) {
                    return Resume.NO_ROOM;
                }
            }
        }
        if (tokens.length > g.preemptedCount) {
            sequences.cut(s.kv, g.preemptedCount);
        }
        observer.resumedFromPreemption(g.preemptedCount, System.nanoTime() - t0);
        letGo(g);
        return Resume.RESTORED;
    }

    /** Unpins a preempted generation's entry (it resumed, or it ended while preempted). */
    void letGo(Generation g) {
        if (g.preemptedTo != null) {
            tiers.release(g.preemptedTo, false);
            g.preemptedTo = null;
        }
    }

    /**
     * Queues what slot {@code s} holds after a completed turn for the shared tier, so that the next
     * turn finds it on any replica (and a replica that dies loses nothing already answered). The
     * copy out of the context happens here; the write is the shared tier's writer thread's.
     */
    void share(Slot s) {
        if (shared == null || s.kv.count() < MIN_SAVE_TOKENS) {
            return;
        }
        SharedTier.Upload u = null;
        long written = 0;
        try {
            if (!sequences.consistent(s.kv)) {
                return;
            }
            u = shared.prepare(s.kv.namespace(), s.kv.tokens(), s.kv.count(), sequences.stateBytes(s.kv));
            if (u != null) {
                written = sequences.save(s.kv, u.segment());
            }
        } catch (RuntimeException e) {
            // Never the scheduler's failure: the turn is answered, only its copy for other replicas is lost.
            LOG.log(System.Logger.Level.WARNING, "cannot copy slot " + s.id + "'s KV state for the shared tier: " + e.getMessage());
        } finally {
            if (u != null) {
                shared.commit(u, written);
            }
        }
    }

    /**
     * Whether a state of {@code cells} tokens fits into slot {@code s}'s sequence (its own cells are
     * emptied by the restore), emptying least recently used idle slots (saved to the tiers first) when
     * that makes enough room; false, with nothing emptied, when it cannot. In the unified cache
     * llama.cpp places a restored sequence in any free cells, contiguous or not (state_read_meta's
     * find_slot without contiguity, llama.cpp #17527), so the count of free cells is exactly what it
     * needs; without a unified cache every sequence has its own cells, which the slot's capacity bounds.
     */
    boolean makeRoom(Slot s, int cells) {
        if (!countCells) {
            return true;
        }
        int free = freeCells(s);
        if (free + slots.idleCells(s) < cells) {
            return false; // running generations hold the rest: emptying idle slots would not help
        }
        while (free < cells && evictIdle(s)) {
            free = freeCells(s);
        }
        return free >= cells;
    }

    /** Cells of the unified cache no slot other than {@code s} holds. */
    int freeCells(Slot s) {
        return ctx.contextSize() - slots.cellsHeldBesides(s);
    }
}
