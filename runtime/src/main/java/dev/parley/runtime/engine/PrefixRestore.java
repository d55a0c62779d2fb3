package dev.parley.runtime.engine;

import dev.parley.runtime.kv.KvTiers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * At admission, what the tiers can add to a slot's own prefix: the entry sharing the longest prefix
 * with the prompt, restored into the slot when it shares more than the slot holds and fits (decided
 * before reading it), cut to the shared part by the caller. A forked conversation's held donor slot
 * is saved first so that the lookup finds it. Scheduler thread only.
 */
final class PrefixRestore {

    private static final System.Logger LOG = System.getLogger("parley.scheduler");

    private final StepExecutor ctx;
    private final SequenceCache sequences;
    private final SlotTable slots;
    /** Null when there are no tiers. */
    private final KvTiers tiers;
    private final KvMover kv;
    private final EngineObserver observer;

    PrefixRestore(StepExecutor ctx, SequenceCache sequences, SlotTable slots, KvTiers tiers, KvMover kv, EngineObserver observer) {
        this.ctx = ctx;
        this.sequences = sequences;
        this.slots = slots;
        this.tiers = tiers;
        this.kv = kv;
        this.observer = observer;
    }

    /**
     * When another idle slot of the same namespace shares more of the prompt than the chosen one, that
     * slot is held for its own conversation (admission passed it over) and this prompt continues its
     * history under another key: a forked thread's first turn. Saving that slot to the tiers (it keeps
     * its KV) lets the lookup that follows restore the shared part here, so the new conversation reuses
     * the history by prefix, whatever its key, and the holder keeps its slot and its tail. Slots of other
     * namespaces never match ({@link Slot#commonPrefix}), so an owner never gets another's KV this way.
     */
    private void shareHeldPrefix(Slot s, int[] prompt, String ns, int reuse) {
        Slot donor = null;
        int best = Math.max(reuse, KvMover.MIN_SAVE_TOKENS - 1); // shorter prefixes are never saved, so never found
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
            kv.offload(donor); // a no-op when the tiers already hold it
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
                : kv.makeRoom(s, m.entryTokens().length) ? null : RestoreSkip.NO_ROOM;
        if (skip != null) {
            tiers.release(m, false);
            observer.kvRestoreSkipped(skip, m.tokens());
            return reuse;
        }
        int restored = restore(s, m, ns);
        source[0] = restored > 0 ? KvMover.sourceOf(m.tier()) : CacheSource.MISS;
        return restored;
    }

    /**
     * Replaces what slot {@code s} holds (saved first) with a matched entry, cut to the part the
     * prompt shares. Returns the tokens now reusable, 0 when the restore failed (the slot is then empty).
     */
    private int restore(Slot s, KvTiers.Match m, String ns) {
        kv.offload(s);
        sequences.clear(s.kv);
        sequences.claim(s.kv, ns);
        int[] tokens = m.entryTokens();
        CacheSource source = KvMover.sourceOf(m.tier());
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
                if (!ok && (tries >= slots.size() || !kv.evictIdle(s))) {
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
                        + " bytes, from " + source.wireName() + ") into slot " + s.id + " with " + kv.freeCells(s) + " of "
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
}
