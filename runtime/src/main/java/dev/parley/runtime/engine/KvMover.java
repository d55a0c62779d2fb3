package dev.parley.runtime.engine;

import dev.parley.runtime.kv.KvTiers;
import dev.parley.runtime.kv.SharedTier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Moves slots' KV between the context and the {@link KvTiers}, through their load/store seam: saves
 * before a slot's cells are cut or emptied, restores a matched entry into a slot, copies a finished
 * turn for the shared tier, and empties idle slots when a restore or a decode needs their cells.
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

    /**
     * When another idle slot of the same namespace shares more of the prompt than the chosen one, that
     * slot is held for its own conversation (admission passed it over) and this prompt continues its
     * history under another key: a forked thread's first turn. Saving that slot to the tiers (it keeps
     * its KV) lets the lookup that follows restore the shared part here, so the new conversation reuses
     * the history by prefix, whatever its key, and the holder keeps its slot and its tail. Slots of other
     * namespaces never match ({@link Slot#commonPrefix}), so an owner never gets another's KV this way.
     */
    void shareHeldPrefix(Slot s, int[] prompt, String ns, int reuse) {
        Slot donor = null;
        int best = Math.max(reuse, MIN_SAVE_TOKENS - 1); // shorter prefixes are never saved, so never found
        for (Slot o : slots.all()) {
            if (o != s && !o.active()) {
                int n = o.commonPrefix(prompt, ns);
                if (n > best) {
                    donor = o;
                    best = n;
                }
            }
        }
        if (donor != null) {
            offload(donor); // a no-op when the tiers already hold it
        }
    }

    /**
     * The tokens of {@code prompt} slot {@code s} can start from once the tiers have had their say:
     * when an entry shares more than {@code reuse}, it is restored into the slot (when it fits) and
     * the count is what it shares; 0 when a restore failed; {@code reuse} otherwise. {@code source}
     * receives where the tokens came from.
     */
    int restoreBest(Slot s, int[] prompt, String ns, int reuse, CacheSource[] source) {
        if (tiers == null) {
            return reuse;
        }
        shareHeldPrefix(s, prompt, ns, reuse);
        KvTiers.Match m = tiers.lookup(ns, prompt, prompt.length);
        if (m == null) {
            return reuse;
        }
        if (m.tokens() <= reuse) {
            tiers.release(m, false);
            return reuse;
        }
        // Decided before the restore: one that cannot fit would be a wasted read and a refusal.
        RestoreSkip skip = m.entryTokens().length > s.kv.capacity() ? RestoreSkip.TOO_LONG
                : makeRoom(s, m.entryTokens().length) ? null : RestoreSkip.NO_ROOM;
        if (skip != null) {
            tiers.release(m, false);
            observer.kvRestoreSkipped(skip, m.tokens());
            return reuse;
        }
        int restored = restore(s, m, ns);
        source[0] = restored > 0 ? sourceOf(m.tier()) : CacheSource.MISS;
        return restored;
    }

    /**
     * Replaces what slot {@code s} holds (saved first) with a matched entry, cut to the part the
     * prompt shares. Returns the tokens now reusable, 0 when the restore failed (the slot is then empty).
     */
    private int restore(Slot s, KvTiers.Match m, String ns) {
        offload(s);
        sequences.clear(s.kv);
        sequences.claim(s.kv, ns);
        int[] tokens = m.entryTokens();
        CacheSource source = sourceOf(m.tier());
        long t0 = System.nanoTime();
        boolean ok = false;
        boolean loaded = false;
        String refusal = null;
        int tries = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = tiers.load(m, arena);
            loaded = state != null;
            for (; loaded && !ok; tries++) {
                String why = sequences.restore(s.kv, state, tokens);
                ok = why == null;
                refusal = ok ? refusal : why;
                // makeRoom counted the cells free; a refusal anyway means the count was off: more room, up to every idle slot
                if (!ok && (tries >= slots.size() || !evictIdle(s))) {
                    break; // no room even with the other idle slots emptied, or a state the context refuses
                }
            }
        } finally {
            tiers.release(m, false);
        }
        if (!ok) {
            if (loaded) {
                observer.kvRestoreFailed(source);
                LOG.log(System.Logger.Level.WARNING, "could not restore a saved state of " + tokens.length + " tokens (" + m.stateBytes()
                        + " bytes, from " + source.wireName() + ") into slot " + s.id + " with " + freeCells(s) + " of "
                        + ctx.contextSize() + " cells free; prefilling instead. llama.cpp: " + refusal);
            }
            return 0;
        }
        if (refusal != null) {
            LOG.log(System.Logger.Level.DEBUG, "restored a state of " + tokens.length + " tokens into slot " + s.id + " after "
                    + (tries - 1) + " refusals and emptying as many idle slots: " + refusal);
        }
        observer.kvRestored(source, m.tokens(), m.stateBytes(), System.nanoTime() - t0);
        return m.tokens();
    }

    /** How a preempted sequence's resume went. */
    enum Resume { RESTORED, NO_ROOM, LOST }

    /**
     * Saves running slot {@code s}'s KV to the tiers so that its cells can be freed (a preemption),
     * and pins the entry there until {@link #resumePreempted} or {@link #letGo}; null when the tiers
     * cannot keep it (none, shorter than a block, over every budget): the caller pauses in place.
     */
    KvTiers.Match preemptToTier(Slot s) {
        SequenceCache.Sequence kv = s.kv;
        if (tiers == null || kv.count() < MIN_SAVE_TOKENS) {
            return null;
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
