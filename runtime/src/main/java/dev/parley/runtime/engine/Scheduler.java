package dev.parley.runtime.engine;

import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import dev.parley.runtime.kv.KvTiers;
import dev.parley.runtime.kv.SharedTier;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one thread that drives every slot of a context, one step after another. A step decides, then
 * carries out: paused generations resume when room returned ({@link Pauses}), queued requests are
 * admitted into free slots ({@link Admission}, {@link SlotStarter}), the tokens the last decode
 * produced are sampled and emitted ({@link OutputTaker}, ending generations through the
 * {@link Finisher}), and the next batch is decided as a {@link StepPlan} ({@link StepPlanner}: a
 * decode token per generating slot, its drafts with {@link Speculation} on, chunks of pending prompts
 * in the rest) and decoded ({@link StepRunner}, asking the {@link RoomPolicy} when the KV cache has no
 * room). It sleeps when nothing is active.
 *
 * <p>Before a slot's KV is overwritten by another conversation (or dropped to make room), it is saved
 * to the {@link KvTiers} ({@link KvMover}); a prompt that an entry there shares more of than any free
 * slot is restored from it ({@link PrefixRestore}). This thread is the only one calling into the
 * context, saves and restores included, and it does so only through a {@link StepExecutor}; what
 * each sequence holds changes through the {@link SequenceCache} only.
 */
final class Scheduler implements Runnable {

    private static final System.Logger LOG = System.getLogger("parley.scheduler");

    private final StepExecutor ctx;
    private final StepBatch batch;
    private final SlotTable slots;
    private final SequenceCache sequences;
    private final KvMover kv;
    private final Finisher finisher;
    private final Pauses pauses;
    private final Admission admission;
    private final OutputTaker output;
    private final StepRunner runner;
    /** Null when speculative decoding is off (or the model cannot roll a sequence back). */
    private final DraftProposer drafts;
    /** This step's decisions; the last decoded batch's drafts stay in it until sampled. */
    private final StepPlan plan;
    private final EngineObserver observer;
    final Counters counters = new Counters();
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
        this.observer = observer;
        Speculation spec = speculation.on() && ctx.cutsSequences() ? speculation : null;
        this.batch = ctx.newBatch(ctx.batchSize());
        this.sequences = new SequenceCache(ctx, ctx.sequences(), slotCapacity);
        Slot[] all = new Slot[ctx.sequences()];
        for (int i = 0; i < all.length; i++) {
            all[i] = new Slot(i, sequences.get(i));
        }
        this.slots = new SlotTable(all);
        this.plan = new StepPlan(all.length, speculation.maxDraft());
        this.kv = new KvMover(ctx, sequences, slots, prefixReuse ? tiers : null, prefixReuse ? shared : null, observer);
        this.finisher = new Finisher(sequences, slots, kv, counters, observer, holdNanos);
        this.pauses = new Pauses(sequences, slots, kv, finisher, observer);
        PrefixRestore prefixes = new PrefixRestore(ctx, sequences, slots, prefixReuse ? tiers : null, kv, observer);
        SlotStarter starter = new SlotStarter(ctx, sequences, slots, kv, prefixes, prefixReuse, spec, counters, observer);
        this.admission = new Admission(queue, queueTimeoutNanos, prefixReuse, ctx.sharedCells() ? ctx.contextSize() : 0, slots,
                starter, counters, observer);
        this.output = new OutputTaker(ctx, sequences, slots, finisher, counters, observer, kv.shared());
        for (Slot s : all) {
            s.sink = (raw, text, channel) -> output.emitPiece(s, raw, text, channel);
        }
        this.drafts = spec != null ? new DraftProposer(slots, spec, drafter, batch.capacity()) : null;
        this.runner = new StepRunner(ctx, batch, slots, sequences, new StepPlanner(slots, batch.capacity()), new RoomPolicy(slots),
                kv, pauses, finisher);
    }

    SlotInfo[] slotInfos() {
        SlotInfo[] out = new SlotInfo[slots.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = slots.get(i).info();
        }
        return out;
    }

    int activeSlots() {
        return slots.active();
    }

    /** What the last step decided (for policy tests). */
    StepPlan lastPlan() {
        return plan;
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
            while (!stopping || slots.active() > 0 || !admission.queueEmpty()) {
                if (stopping && System.nanoTime() - stopDeadlineNanos > 0) {
                    abandonAll();
                    break;
                }
                step();
            }
            kv.offloadIdle(); // what the slots hold survives a restart on the disk tier
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandonAll();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "scheduler failed; failing every request", e);
            failAll(ErrorCode.INTERNAL, "the engine failed: " + e);
        } finally {
            for (Slot s : slots.all()) {
                if (s.gen != null) {
                    s.gen.close();
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
        sequences.clear(slots.get(0).kv);
    }

    /** One step of the loop; package-private so that policy tests drive it against a simulated executor. */
    void step() throws InterruptedException {
        long t0 = System.nanoTime();
        plan.beginStep();
        if (slots.paused() > 0 && slots.roomMayHaveFreed()) {
            pauses.resume(plan);
        }
        admission.admit(plan);
        long s0 = System.nanoTime();
        output.sampleAll(plan);
        long sampling = System.nanoTime() - s0;
        finisher.dropCancelled();
        admission.expireQueued();
        if (drafts != null) {
            drafts.propose(plan);
        }
        if (!runner.plan(plan)) {
            return;
        }
        long d0 = System.nanoTime();
        runner.run(plan);
        long now = System.nanoTime();
        counters.steps.increment();
        counters.stepNanos.add(now - t0);
        counters.decodeNanos.add(now - d0);
        counters.samplingNanos.add(sampling);
        observer.step(runner.rows(), now - d0, sampling, now - t0);
    }

    /**
     * The longest prefix of {@code prompt} some slot holds, read from another thread: racy, so only a
     * hint (whether a shared-tier fetch could help); admission decides again on this thread.
     */
    int slotPrefixHint(int[] prompt, String ns) {
        int best = 0;
        for (Slot s : slots.all()) {
            try {
                best = Math.max(best, s.commonPrefix(prompt, ns));
            } catch (RuntimeException e) {
                // a slot changing under the read: no hint from it
            }
        }
        return best;
    }

    // ---- shutdown ----

    private void abandonAll() {
        long now = System.nanoTime();
        for (Slot s : slots.all()) {
            if (s.active()) {
                finisher.finish(s, FinishReason.CANCELLED, now);
            }
        }
        admission.failQueued(ErrorCode.SHUTTING_DOWN, "the server is shutting down");
    }

    private void failAll(ErrorCode code, String message) {
        for (Slot s : slots.all()) {
            if (s.active()) {
                TokenStream stream = s.stream();
                try {
                    finisher.fail(s, code, message);
                } catch (RuntimeException ignored) {
                    // the context may be unusable; the stream still gets its event below
                    stream.emit(new GenerationEvent.Failed(code, message));
                }
            }
        }
        admission.failQueued(code, message);
    }
}
