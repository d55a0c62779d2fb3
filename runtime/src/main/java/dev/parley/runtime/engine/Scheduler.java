package dev.parley.runtime.engine;

import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.grammar.GrammarException;
import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import dev.parley.runtime.kv.KvTiers;
import dev.parley.runtime.kv.SharedTier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one thread that drives every slot of a context. Each step it samples a token for every slot
 * whose logits the last decode produced, emits text, finishes slots that are done, then builds one
 * batch: a decode token per generating slot and, in the rest of the batch, chunks of pending prompts
 * (so a long prompt never stalls the other streams), and decodes it. It sleeps when nothing is active.
 * With {@link Speculation} on, a generating slot's token is followed in the batch by tokens drafted
 * from its own history, which sampling keeps while they match and cuts from the sequence where not.
 *
 * <p>Before a slot's KV is overwritten by another conversation (or dropped to make room), it is saved
 * to the {@link KvTiers}; a prompt that an entry there shares more of than any free slot is restored
 * from it. This thread is the only one calling into the context, saves and restores included, and
 * it does so only through a {@link StepExecutor}.
 */
final class Scheduler implements Runnable {

    private static final System.Logger LOG = System.getLogger("parley.scheduler");

    private final StepExecutor ctx;
    private final StepBatch batch;
    private final Slot[] slots;
    /** What each slot's sequence holds; the one caller of the executor's sequence calls. */
    private final SequenceCache sequences;
    private final ArrayBlockingQueue<Pending> queue;
    private final long queueTimeoutNanos;
    private final boolean prefixReuse;
    private final EngineObserver observer;
    /** Null when there are no tiers. */
    private final KvTiers tiers;
    /** Null without a shared tier: completed turns are queued for it. */
    private final SharedTier shared;
    private final long holdNanos;
    /** Whether a restore needs that many free cells of the one cache all slots share (see {@link #makeRoom}). */
    private final boolean countCells;
    private final AtomicInteger activeCount = new AtomicInteger();
    final Counters counters = new Counters();
    private long admissions;
    /** Generations paused for room in the KV cache; none are admitted while any waits. */
    private int pausedCount;
    /** Something ended since the last try to resume a paused generation. */
    private boolean roomMayHaveFreed;
    private int prefillCap;
    /** Null when speculative decoding is off (or the model cannot roll a sequence back). */
    private final Speculation speculation;
    /** Where drafts come from when {@link #speculation} is on. */
    private final Drafter drafter;
    /** Set when a batch with drafts found no room in the KV cache: this step retries without them. */
    private boolean draftsRefused;
    private volatile boolean stopping;
    private volatile long stopDeadlineNanos;

    /** Totals since start, for stats and metrics. */
    static final class Counters {
        final LongAdder promptTokens = new LongAdder();
        final LongAdder cachedPromptTokens = new LongAdder();
        final LongAdder generatedTokens = new LongAdder();
        final LongAdder finished = new LongAdder();
        final LongAdder cancelled = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder steps = new LongAdder();
        final LongAdder stepNanos = new LongAdder();
        final LongAdder decodeNanos = new LongAdder();
        final LongAdder samplingNanos = new LongAdder();
        /** Speculative decoding: tokens drafted and verified, and those of them the target model accepted. */
        final LongAdder draftedTokens = new LongAdder();
        final LongAdder acceptedTokens = new LongAdder();
    }

    Scheduler(StepExecutor ctx, int slotCapacity, ArrayBlockingQueue<Pending> queue, long queueTimeoutNanos,
              boolean prefixReuse, EngineObserver observer, KvTiers tiers, SharedTier shared, long holdNanos) {
        this(ctx, slotCapacity, queue, queueTimeoutNanos, prefixReuse, observer, tiers, shared, holdNanos, Speculation.OFF);
    }

    Scheduler(StepExecutor ctx, int slotCapacity, ArrayBlockingQueue<Pending> queue, long queueTimeoutNanos,
              boolean prefixReuse, EngineObserver observer, KvTiers tiers, SharedTier shared, long holdNanos,
              Speculation speculation) {
        this(ctx, slotCapacity, queue, queueTimeoutNanos, prefixReuse, observer, tiers, shared, holdNanos, speculation, NgramDrafter.LOOKUP);
    }

    /** With {@code drafter} making the drafts when {@code speculation} is on. */
    Scheduler(StepExecutor ctx, int slotCapacity, ArrayBlockingQueue<Pending> queue, long queueTimeoutNanos,
              boolean prefixReuse, EngineObserver observer, KvTiers tiers, SharedTier shared, long holdNanos,
              Speculation speculation, Drafter drafter) {
        this.ctx = ctx;
        this.speculation = speculation.on() && ctx.cutsSequences() ? speculation : null;
        this.drafter = drafter;
        this.batch = ctx.newBatch(ctx.batchSize());
        this.sequences = new SequenceCache(ctx, ctx.sequences(), slotCapacity);
        this.slots = new Slot[ctx.sequences()];
        for (int i = 0; i < slots.length; i++) {
            Slot slot = new Slot(i, sequences.get(i), speculation.maxDraft());
            slot.sink = (raw, text, channel) -> emitPiece(slot, raw, text, channel);
            slots[i] = slot;
        }
        this.queue = queue;
        this.queueTimeoutNanos = queueTimeoutNanos;
        this.prefixReuse = prefixReuse;
        this.observer = observer;
        this.tiers = prefixReuse ? tiers : null;
        this.shared = prefixReuse && tiers != null ? shared : null;
        this.holdNanos = holdNanos;
        this.countCells = ctx.sharedCells();
        this.prefillCap = batch.capacity();
    }

    SlotInfo[] slotInfos() {
        SlotInfo[] out = new SlotInfo[slots.length];
        for (int i = 0; i < slots.length; i++) {
            out[i] = slots[i].info();
        }
        return out;
    }

    int activeSlots() {
        return activeCount.get();
    }

    /** Asks the loop to end: in-flight work may finish until {@code deadlineNanos}, then it is cancelled. */
    void stop(long deadlineNanos) {
        stopDeadlineNanos = deadlineNanos;
        stopping = true;
    }

    @Override
    public void run() {
        try {
            warmUp();
            while (!stopping || activeCount.get() > 0 || !queue.isEmpty()) {
                if (stopping && System.nanoTime() - stopDeadlineNanos > 0) {
                    abandonAll();
                    break;
                }
                step();
            }
            offloadIdle(); // what the slots hold survives a restart on the disk tier
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandonAll();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "scheduler failed; failing every request", e);
            failAll(ErrorCode.INTERNAL, "the engine failed: " + e);
        } finally {
            for (Slot s : slots) {
                if (s.sampler != null) {
                    s.sampler.close();
                    s.sampler = null;
                }
            }
            batch.close();
            ctx.close();
        }
    }

    /** A first decode, so that the first request does not pay for lazy initialisation. */
    private void warmUp() {
        int token = ctx.warmUpToken();
        batch.clear();
        batch.add(token, 0, 0, true);
        ctx.decode(batch);
        sequences.clear(slots[0].kv);
    }

    /** One step of the loop; package-private so that policy tests drive it against a simulated executor. */
    void step() throws InterruptedException {
        long t0 = System.nanoTime();
        if (pausedCount > 0 && roomMayHaveFreed) {
            resumePaused();
        }
        admit();
        long s0 = System.nanoTime();
        sampleAll();
        long sampling = System.nanoTime() - s0;
        dropCancelled();
        if (!queue.isEmpty()) {
            expireQueued(System.nanoTime());
        }
        if (!fillBatch()) {
            return;
        }
        long d0 = System.nanoTime();
        decode();
        long now = System.nanoTime();
        counters.steps.increment();
        counters.stepNanos.add(now - t0);
        counters.decodeNanos.add(now - d0);
        counters.samplingNanos.add(sampling);
        observer.step(batch.size(), now - d0, sampling, now - t0);
    }

    // ---- admission ----

    private void admit() throws InterruptedException {
        while (true) {
            if (activeCount.get() == slots.length || pausedCount > 0) {
                return; // paused generations get the room that frees before any new request
            }
            Pending p;
            if (activeCount.get() == 0 && !hasLogitsPending()) {
                p = queue.poll(50, TimeUnit.MILLISECONDS); // idle: sleep until work arrives
            } else {
                p = queue.poll();
            }
            if (p == null) {
                return;
            }
            long now = System.nanoTime();
            if (!endedWhileWaiting(p, now)) {
                start(chooseSlot(p, now), p, now);
            }
        }
    }

    private boolean hasLogitsPending() {
        for (Slot s : slots) {
            if (s.logitsRow >= 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The free slot whose cache shares the longest prefix with the prompt, then the least recently
     * used; slots reserved for another conversation only when no other is free.
     */
    private Slot chooseSlot(Pending p, long now) {
        int[] prompt = p.prompt();
        String ns = p.request().cacheNamespace();
        String conversation = p.request().conversation();
        Slot best = null;
        int bestPrefix = -1;
        boolean bestHeld = true;
        for (Slot s : slots) {
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

    /**
     * When another idle slot of the same namespace shares more of the prompt than the chosen one, that
     * slot is held for its own conversation ({@link #chooseSlot} passed it over) and this prompt continues
     * its history under another key: a forked thread's first turn. Saving that slot to the tiers (it keeps
     * its KV) lets the lookup that follows restore the shared part here, so the new conversation reuses
     * the history by prefix, whatever its key, and the holder keeps its slot and its tail. Slots of other
     * namespaces never match ({@link Slot#commonPrefix}), so an owner never gets another's KV this way.
     */
    private void shareHeldPrefix(Slot s, int[] prompt, String ns, int reuse) {
        Slot donor = null;
        int best = Math.max(reuse, MIN_SAVE_TOKENS - 1); // shorter prefixes are never saved, so never found
        for (Slot o : slots) {
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

    private void start(Slot s, Pending p, long now) {
        int[] prompt = p.prompt();
        GenerationRequest r = p.request();
        String ns = r.cacheNamespace();
        int reuse = prefixReuse ? s.commonPrefix(prompt, ns) : 0;
        CacheSource source = reuse > 0 ? CacheSource.SLOT : CacheSource.MISS;
        if (tiers != null) {
            shareHeldPrefix(s, prompt, ns, reuse);
            KvTiers.Match m = tiers.lookup(ns, prompt, prompt.length);
            if (m != null && m.tokens() > reuse) {
                // Decided before the restore: one that cannot fit would be a wasted read and a refusal.
                RestoreSkip skip = m.entryTokens().length > s.kv.capacity() ? RestoreSkip.TOO_LONG
                        : makeRoom(s, m.entryTokens().length) ? null : RestoreSkip.NO_ROOM;
                if (skip != null) {
                    tiers.release(m, false);
                    observer.kvRestoreSkipped(skip, m.tokens());
                } else {
                    int restored = restore(s, m, ns);
                    if (restored > 0) {
                        reuse = restored;
                        source = sourceOf(m.tier());
                    } else {
                        reuse = 0;
                        source = CacheSource.MISS;
                    }
                }
            } else if (m != null) {
                tiers.release(m, false);
            }
        }
        if (reuse == prompt.length) {
            reuse--; // one prompt token must be decoded to get logits
        }
        if (reuse < s.kv.count()) {
            if (s.kv.count() - reuse >= MIN_SAVE_TOKENS || cutLosesPin(s, reuse)) {
                offload(s); // the part about to be cut is another conversation's (or this one's other branch)
            }
            // Drop what diverges; a model that cannot cut its cache (recurrent) starts over.
            reuse = sequences.cut(s.kv, reuse);
        }
        sequences.claim(s.kv, ns);
        if (reuse == 0) {
            source = CacheSource.MISS;
        }
        observer.cacheLookup(source, reuse);
        TokenSampler sampler;
        try {
            sampler = ctx.newSampler(r, p.grammar());
        } catch (IllegalArgumentException e) {
            p.stream().emit(new GenerationEvent.Failed(ErrorCode.INVALID_REQUEST, e.getMessage()));
            counters.failed.increment();
            observer.requestFailed(ErrorCode.INVALID_REQUEST);
            return;
        }
        if (r.sampling().penalized()) {
            int n = r.sampling().penaltyLastN() < 0 ? prompt.length : Math.min(prompt.length, r.sampling().penaltyLastN());
            for (int i = prompt.length - n; i < prompt.length; i++) {
                sampler.acceptPenaltyOnly(prompt[i]);
            }
        }
        s.pending = p;
        s.requestId = r.id();
        s.conversationNamespace = r.cacheNamespace();
        s.conversation = r.conversation();
        s.sampler = sampler;
        s.logprobs = r.topLogprobs() >= 0 ? new Logprobs(r.topLogprobs()) : null;
        s.filter = new OutputFilter(r.stop(), p.renderedPrompt());
        s.promptCached = reuse;
        s.admitted = now;
        s.admissionOrder = admissions++;
        s.firstToken = 0;
        s.speculate = speculation != null && r.speculative() != Boolean.FALSE;
        s.state = SlotInfo.State.PREFILL;
        activeCount.incrementAndGet();
        counters.promptTokens.add(prompt.length);
        counters.cachedPromptTokens.add(reuse);
        long queued = now - p.enqueuedNanos();
        observer.requestStarted(r.id(), s.id, queued, prompt.length, reuse);
        p.stream().emit(new GenerationEvent.Started(s.id, prompt.length, reuse, TimeUnit.NANOSECONDS.toMillis(queued)));
    }

    // ---- KV tiers ----

    private static CacheSource sourceOf(KvTiers.Tier tier) {
        return switch (tier) {
            case RAM -> CacheSource.RAM;
            case DISK -> CacheSource.DISK;
            case SHARED -> CacheSource.SHARED;
        };
    }

    /**
     * Queues what slot {@code s} holds after a completed turn for the shared tier, so that the next
     * turn finds it on any replica (and a replica that dies loses nothing already answered). The
     * copy out of the context happens here; the write is the shared tier's writer thread's.
     */
    private void share(Slot s) {
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
     * The longest prefix of {@code prompt} some slot holds, read from another thread: racy, so only a
     * hint (whether a shared-tier fetch could help); admission decides again on this thread.
     */
    int slotPrefixHint(int[] prompt, String ns) {
        int best = 0;
        for (Slot s : slots) {
            try {
                best = Math.max(best, s.commonPrefix(prompt, ns));
            } catch (RuntimeException e) {
                // a slot changing under the read: no hint from it
            }
        }
        return best;
    }

    /** Shorter sequences are not worth a save (the tiers index whole blocks of tokens). */
    private static final int MIN_SAVE_TOKENS = 32;

    /** Whether cutting slot {@code s} to {@code keep} tokens would lose a prefix a client's cache hint pins. */
    private boolean cutLosesPin(Slot s, int keep) {
        return tiers != null && tiers.pinnedBeyond(s.kv.namespace(), s.kv.tokens(), s.kv.count(), keep);
    }

    /** Saves what slot {@code s} holds to the tiers, unless they hold it already. Its KV stays in place. */
    private void offload(Slot s) {
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
    private void offloadIdle() {
        if (tiers == null) {
            return;
        }
        for (Slot s : slots) {
            if (!s.active()) {
                try {
                    offload(s);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot save slot " + s.id + " at shutdown: " + e);
                }
            }
        }
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
                if (!ok && (tries >= slots.length || !evictIdleCache(s))) {
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

    /**
     * Whether a state of {@code cells} tokens fits into slot {@code s}'s sequence (its own cells are
     * emptied by the restore), emptying least recently used idle slots (saved to the tiers first) when
     * that makes enough room; false, with nothing emptied, when it cannot. In the unified cache
     * llama.cpp places a restored sequence in any free cells, contiguous or not (state_read_meta's
     * find_slot without contiguity, llama.cpp #17527), so the count of free cells is exactly what it
     * needs; without a unified cache every sequence has its own cells, which the slot's capacity bounds.
     */
    private boolean makeRoom(Slot s, int cells) {
        if (!countCells) {
            return true;
        }
        int free = freeCells(s);
        int evictable = 0;
        for (Slot o : slots) {
            if (o != s && !o.active()) {
                evictable += o.kv.count();
            }
        }
        if (free + evictable < cells) {
            return false; // running generations hold the rest: emptying idle slots would not help
        }
        while (free < cells && evictIdleCache(s)) {
            free = freeCells(s);
        }
        return free >= cells;
    }

    /** Cells of the unified cache no slot other than {@code s} holds (a paused slot's sequence is empty). */
    private int freeCells(Slot s) {
        int free = ctx.contextSize();
        for (Slot o : slots) {
            if (o != s && !o.paused) {
                free -= o.kv.count();
            }
        }
        return free;
    }

    private void cancelledBeforeStart(Pending p) {
        counters.cancelled.increment();
        observer.requestFinished(FinishReason.CANCELLED, 0);
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - p.enqueuedNanos());
        p.stream().emit(new GenerationEvent.Done(FinishReason.CANCELLED,
                new GenerationEvent.Usage(p.prompt().length, 0, 0, 0, waited, 0, 0, 0)));
    }

    private void timedOut(Pending p, long now) {
        counters.failed.increment();
        observer.requestFailed(ErrorCode.QUEUE_TIMEOUT);
        p.stream().emit(new GenerationEvent.Failed(ErrorCode.QUEUE_TIMEOUT, "waited "
                + TimeUnit.NANOSECONDS.toMillis(now - p.enqueuedNanos()) + " ms for a free slot; all "
                + slots.length + " slots stayed busy"));
    }

    private void expireQueued(long now) {
        for (Iterator<Pending> it = queue.iterator(); it.hasNext(); ) {
            if (endedWhileWaiting(it.next(), now)) {
                it.remove(); // only this thread takes from the queue, so the request is still there
            }
        }
    }

    /** Ends a waiting request that was cancelled or waited too long; true if it did. */
    private boolean endedWhileWaiting(Pending p, long now) {
        if (p.stream().isCancelled()) {
            cancelledBeforeStart(p);
            return true;
        }
        if (now - p.enqueuedNanos() > queueTimeoutNanos) {
            timedOut(p, now);
            return true;
        }
        return false;
    }

    // ---- sampling and output ----

    private void sampleAll() {
        for (Slot s : slots) {
            if (s.logitsRow < 0 || !s.active()) {
                continue;
            }
            int row = s.logitsRow;
            s.logitsRow = -1;
            long now = System.nanoTime();
            if (s.state == SlotInfo.State.PREFILL) {
                s.state = SlotInfo.State.GENERATING;
                s.prefillDone = now;
                if (shared != null) {
                    shared.notePrefill(s.prompt().length - s.promptCached, now - s.admitted);
                }
            }
            // The KV holds the decoded token and then the drafts (rows row+1..): a token sampled at
            // each row in turn is the one a plain decode would have produced there, so a draft token
            // is accepted while it equals what was sampled before it, and the first other token is
            // the next one to decode. Exact for greedy and sampled decoding alike (the draft is
            // deterministic), and the sampler, grammar and penalties only ever see accepted tokens.
            int drafted = s.draftLen;
            s.draftLen = 0;
            int held = s.kv.count() - drafted; // cells of the tokens before the drafts
            int accepted = 0;
            while (true) {
                int token;
                try {
                    token = s.sampler.sample(row + accepted);
                } catch (GrammarException e) {
                    // The grammar's Java mirror refused the token before llama.cpp saw it (which would have aborted).
                    fail(s, ErrorCode.INVALID_REQUEST, "grammar: " + e.getMessage());
                    break;
                }
                if (s.logprobs != null) {
                    ctx.recordLogprobs(s.logprobs, row + accepted, token);
                }
                FinishReason end = take(s, token, held + accepted, now);
                if (end == null && accepted < drafted && token == s.draft[accepted]) {
                    accepted++;
                    continue;
                }
                if (accepted < drafted) {
                    sequences.cut(s.kv, held + accepted); // the rejected drafts' cells
                }
                if (drafted > 0) {
                    s.gate.verified(drafted, accepted);
                    counters.draftedTokens.add(drafted);
                    counters.acceptedTokens.add(accepted);
                    observer.draftVerified(drafted, accepted);
                } else if (s.speculate) {
                    s.gate.generatedWithoutDraft();
                }
                if (end != null) {
                    finish(s, end, now);
                } else {
                    s.nextToken = token;
                }
                break;
            }
        }
    }

    /**
     * Emits a sampled token; returns why the generation ends with it, or null when it goes on (the
     * token is then the next to decode). {@code cells} is what the sequence holds before this token.
     */
    private FinishReason take(Slot s, int token, int cells, long now) {
        if (s.firstToken == 0) {
            s.firstToken = now;
            observer.firstToken(now - s.pending.enqueuedNanos());
        } else {
            observer.token(now - s.lastToken);
        }
        s.lastToken = now;
        if (ctx.isEndOfGeneration(token)) {
            return FinishReason.STOP;
        }
        s.generated++;
        s.tokensSinceEmit++;
        if (s.filter.inReasoning()) {
            s.reasoningTokens++;
        }
        int n = ctx.piece(token);
        String text = s.utf8.append(ctx.pieceBytes(), n);
        if (!text.isEmpty()) {
            s.filter.push(text, s.sink);
        }
        if (s.filter.stopped()) {
            return FinishReason.STOP;
        }
        if (s.generated >= s.pending.request().maxTokens() || cells >= s.kv.capacity()) {
            return FinishReason.LENGTH;
        }
        return null;
    }

    private void emitPiece(Slot s, String raw, String text, GenerationEvent.Channel channel) {
        int tokens = s.tokensSinceEmit;
        s.tokensSinceEmit = 0;
        s.stream().emit(new GenerationEvent.Piece(raw, text, channel, tokens, s.logprobs == null ? List.of() : s.logprobs.drain()));
    }

    private void dropCancelled() {
        long now = System.nanoTime();
        for (Slot s : slots) {
            if (s.active() && s.stream().isCancelled()) {
                s.nextToken = -1;
                finish(s, FinishReason.CANCELLED, now);
            }
        }
    }

    private void finish(Slot s, FinishReason reason, long now) {
        if (reason != FinishReason.CANCELLED) {
            s.filter.push(s.utf8.flush(), s.sink);
            s.filter.finish(s.sink);
        }
        String stopSequence = reason == FinishReason.STOP && s.filter != null ? s.filter.matchedStop() : null;
        long start = s.admitted;
        long prefillEnd = s.prefillDone == 0 ? now : s.prefillDone;
        GenerationEvent.Usage usage = new GenerationEvent.Usage(s.prompt().length, s.promptCached, s.generated, s.reasoningTokens,
                TimeUnit.NANOSECONDS.toMillis(start - s.pending.enqueuedNanos()),
                TimeUnit.NANOSECONDS.toMillis(prefillEnd - start),
                TimeUnit.NANOSECONDS.toMillis(now - prefillEnd),
                s.firstToken == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(s.firstToken - s.pending.enqueuedNanos()));
        counters.generatedTokens.add(s.generated);
        (reason == FinishReason.CANCELLED ? counters.cancelled : counters.finished).increment();
        observer.requestFinished(reason, s.generated);
        TokenStream stream = s.stream();
        if (s.paused) {
            pausedCount--;
            sequences.forgetParked(s.kv); // its state goes with the generation
        }
        s.release(now);
        s.holdUntilNanos = now + holdNanos;
        roomMayHaveFreed = true;
        activeCount.decrementAndGet();
        stream.emit(new GenerationEvent.Done(reason, usage, stopSequence));
        if (reason != FinishReason.CANCELLED) {
            share(s); // after Done: the client does not wait for the copy
        }
    }

    private void fail(Slot s, ErrorCode code, String message) {
        TokenStream stream = s.stream();
        sequences.clear(s.kv); // its cache is in an unknown state
        if (s.paused) {
            pausedCount--;
        }
        roomMayHaveFreed = true;
        counters.failed.increment();
        observer.requestFailed(code);
        s.release(System.nanoTime());
        activeCount.decrementAndGet();
        stream.emit(new GenerationEvent.Failed(code, message));
    }

    // ---- batching and decoding ----

    /** Fills the batch; false when there is nothing to decode. */
    private boolean fillBatch() {
        batch.clear();
        int decoding = 0;
        for (Slot s : slots) {
            s.chunk = 0;
            s.draftLen = 0;
            if (s.active() && !s.paused && s.nextToken >= 0) {
                decoding++;
            }
        }
        for (Slot s : slots) {
            if (s.active() && !s.paused && s.nextToken >= 0) {
                s.logitsRow = batch.add(s.nextToken, s.kv.count(), s.id, true);
                decoding--;
                if (s.speculate && !draftsRefused && s.gate.open()) {
                    addDraft(s, batch.remaining() - decoding); // every other decoding slot keeps its row
                }
            }
        }
        int budget = Math.min(batch.remaining(), prefillCap);
        // Oldest admission first, so prompts are served in arrival order.
        while (budget > 0) {
            Slot next = null;
            for (Slot s : slots) {
                if (s.state == SlotInfo.State.PREFILL && !s.paused && s.chunk == 0 && s.logitsRow < 0
                        && s.kv.count() < s.prompt().length && (next == null || s.admissionOrder < next.admissionOrder)) {
                    next = s;
                }
            }
            if (next == null) {
                break;
            }
            int[] prompt = next.prompt();
            int cached = next.kv.count();
            int n = Math.min(budget, prompt.length - cached);
            for (int i = 0; i < n; i++) {
                int pos = cached + i;
                int row = batch.add(prompt[pos], pos, next.id, pos == prompt.length - 1);
                if (pos == prompt.length - 1) {
                    next.logitsRow = row;
                }
            }
            next.chunk = n;
            budget -= n;
        }
        return batch.size() > 0;
    }

    /**
     * Drafts up to {@code room} tokens after slot {@code s}'s next token into the batch, each with its
     * logits row (the one after the row before it); none past the slot's capacity or its token limit.
     */
    private void addDraft(Slot s, int room) {
        int pos = s.kv.count() + 1;
        int max = Math.min(Math.min(speculation.maxDraft(), room), s.kv.capacity() - pos);
        max = Math.min(max, s.pending.request().maxTokens() - s.generated - 1); // the last token needs no draft after it
        if (max <= 0) {
            return;
        }
        int n = drafter.draft(s.id, s.kv.tokens(), s.kv.count(), s.nextToken, s.draft, max);
        for (int i = 0; i < n; i++) {
            batch.add(s.draft[i], pos + i, s.id, true);
        }
        s.draftLen = n;
    }

    private void decode() {
        draftsRefused = false;
        while (true) {
            DecodeStatus status = ctx.decode(batch);
            if (status == DecodeStatus.OK) {
                prefillCap = Math.min(batch.capacity(), prefillCap * 2);
                committed();
                return;
            }
            if (status != DecodeStatus.NO_KV_SLOT) {
                for (Slot s : slots) {
                    if (s.active() && (s.chunk > 0 || s.nextToken >= 0)) {
                        fail(s, ErrorCode.INTERNAL, "llama_decode failed: " + status);
                    }
                }
                return;
            }
            // No room in the KV cache: drop this step's drafts first (they are only a bet), then free
            // idle slots' caches, then try smaller prefill chunks, and only then give up on the newest request.
            if (!draftsRefused && hasDrafts()) {
                draftsRefused = true;
                for (Slot s : slots) {
                    s.logitsRow = -1;
                }
                if (!fillBatch()) {
                    return;
                }
                continue;
            }
            if (evictIdleCache(null)) {
                continue;
            }
            int prefill = 0;
            for (Slot s : slots) {
                prefill += s.chunk;
            }
            if (prefill > 1) {
                prefillCap = Math.max(1, prefill / 2);
            } else if (!pauseNewest()) {
                Slot newest = null;
                for (Slot s : slots) {
                    if (s.active() && !s.paused && (newest == null || s.admissionOrder > newest.admissionOrder)) {
                        newest = s;
                    }
                }
                fail(newest, ErrorCode.CONTEXT_FULL, "context full: the KV cache has no room for this request's next token ("
                        + ctx.contextSize() + " cells shared by " + slots.length + " slots), and it was the request that started last");
            }
            for (Slot s : slots) {
                s.logitsRow = -1;
            }
            if (!fillBatch()) {
                return;
            }
        }
    }

    private boolean hasDrafts() {
        for (Slot s : slots) {
            if (s.draftLen > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Pauses the running generation that started last, when another one keeps running: its KV state
     * is copied out of the context and its sequence emptied, so the older ones can go on; it resumes
     * when something ends ({@link #resumePaused}). False when nothing can be paused that way.
     */
    private boolean pauseNewest() {
        Slot newest = null;
        int running = 0;
        for (Slot s : slots) {
            if (s.active() && !s.paused) {
                running++;
                if (newest == null || s.admissionOrder > newest.admissionOrder) {
                    newest = s;
                }
            }
        }
        if (running < 2) {
            return false;
        }
        if (newest.kv.count() > 0) {
            long bytes = sequences.stateBytes(newest.kv);
            Arena arena = Arena.ofShared();
            try {
                newest.pausedState = arena.allocate(bytes, 64);
                sequences.save(newest.kv, newest.pausedState);
            } catch (RuntimeException | OutOfMemoryError e) {
                arena.close();
                newest.pausedState = null;
                LOG.log(System.Logger.Level.WARNING, "cannot pause request " + newest.requestId + ": " + e);
                return false;
            }
            newest.pausedArena = arena;
        }
        sequences.park(newest.kv);
        newest.paused = true;
        newest.chunk = 0;
        newest.logitsRow = -1;
        pausedCount++;
        roomMayHaveFreed = false;
        LOG.log(System.Logger.Level.INFO, "KV cache full: paused request " + newest.requestId + " (slot " + newest.id + ", "
                + newest.kv.count() + " tokens) until an older one ends");
        return true;
    }

    /** Resumes paused generations, oldest first, while their states fit back into the context. */
    private void resumePaused() {
        roomMayHaveFreed = false;
        while (pausedCount > 0) {
            Slot oldest = null;
            for (Slot s : slots) {
                if (s.paused && (oldest == null || s.admissionOrder < oldest.admissionOrder)) {
                    oldest = s;
                }
            }
            boolean ok = oldest.pausedState == null;
            if (!ok && !makeRoom(oldest, oldest.kv.count()) && runningCount() > 0) {
                return; // no room yet, and trying would only be refused: wait for the next generation to end
            }
            while (!ok && oldest.paused) {
                ok = sequences.unpark(oldest.kv, oldest.pausedState);
                if (!ok && !evictIdleCache(null)) {
                    for (Slot s : slots) {
                        if (s.active() && !s.paused) {
                            return; // still no room: wait for the next generation to end
                        }
                    }
                    // Nothing else holds the cache and the state still does not fit: it never will.
                    fail(oldest, ErrorCode.CONTEXT_FULL, "context full: a paused request could not be resumed in an empty KV cache");
                    break;
                }
            }
            if (!ok) {
                continue; // failed above
            }
            oldest.dropPausedState();
            oldest.paused = false;
            pausedCount--;
            LOG.log(System.Logger.Level.INFO, "resumed request " + oldest.requestId + " (slot " + oldest.id + ")");
        }
    }

    private int runningCount() {
        int n = 0;
        for (Slot s : slots) {
            if (s.active() && !s.paused) {
                n++;
            }
        }
        return n;
    }

    /** Empties the least recently used idle slot other than {@code keep}, saving it to the tiers first. */
    private boolean evictIdleCache(Slot keep) {
        Slot lru = null;
        for (Slot s : slots) {
            if (s != keep && !s.active() && s.kv.count() > 0 && (lru == null || s.lastUsedNanos < lru.lastUsedNanos)) {
                lru = s;
            }
        }
        if (lru == null) {
            return false;
        }
        offload(lru);
        sequences.clear(lru.kv);
        return true;
    }

    /** After a successful decode: the batch's tokens are now in each slot's cache. */
    private void committed() {
        for (Slot s : slots) {
            if (!s.active() || s.paused) { // a paused slot's next token waits for its resume
                continue;
            }
            if (s.nextToken >= 0) {
                sequences.appended(s.kv, s.nextToken);
                s.nextToken = -1;
                for (int i = 0; i < s.draftLen; i++) {
                    sequences.appended(s.kv, s.draft[i]); // held until sampling accepts or cuts them
                }
            }
            if (s.chunk > 0) {
                sequences.appended(s.kv, s.prompt(), s.chunk);
                s.chunk = 0;
            }
        }
    }

    // ---- shutdown ----

    private void abandonAll() {
        long now = System.nanoTime();
        for (Slot s : slots) {
            if (s.active()) {
                finish(s, FinishReason.CANCELLED, now);
            }
        }
        Pending p;
        while ((p = queue.poll()) != null) {
            p.stream().emit(new GenerationEvent.Failed(ErrorCode.SHUTTING_DOWN, "the server is shutting down"));
        }
    }

    private void failAll(ErrorCode code, String message) {
        for (Slot s : slots) {
            if (s.active()) {
                try {
                    fail(s, code, message);
                } catch (RuntimeException ignored) {
                    // the context may be unusable; the stream still gets its event below
                    s.stream().emit(new GenerationEvent.Failed(code, message));
                }
            }
        }
        Pending p;
        while ((p = queue.poll()) != null) {
            p.stream().emit(new GenerationEvent.Failed(code, message));
        }
    }
}
