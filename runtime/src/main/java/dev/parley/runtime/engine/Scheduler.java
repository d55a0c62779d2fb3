package dev.parley.runtime.engine;

import dev.parley.bindings.Batch;
import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.LlamaContext;
import dev.parley.bindings.SamplerChain;
import dev.parley.bindings.Vocab;
import dev.parley.runtime.engine.GenerationEvent.FinishReason;
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
 */
final class Scheduler implements Runnable {

    private static final System.Logger LOG = System.getLogger("parley.scheduler");

    private final LlamaContext ctx;
    private final Vocab vocab;
    /** Made on the scheduler thread: its buffer is confined to it. */
    private Vocab.Pieces pieces;
    private final Batch batch;
    private final Slot[] slots;
    private final ArrayBlockingQueue<Pending> queue;
    private final long queueTimeoutNanos;
    private final boolean prefixReuse;
    private final EngineObserver observer;
    private final AtomicInteger activeCount = new AtomicInteger();
    final Counters counters = new Counters();
    private long admissions;
    private int prefillCap;
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
    }

    Scheduler(LlamaContext ctx, int slotCapacity, ArrayBlockingQueue<Pending> queue, long queueTimeoutNanos,
              boolean prefixReuse, EngineObserver observer) {
        this.ctx = ctx;
        this.vocab = ctx.model().vocab();
        this.batch = ctx.newBatch(ctx.batchSize());
        this.slots = new Slot[ctx.sequences()];
        for (int i = 0; i < slots.length; i++) {
            Slot slot = new Slot(i, slotCapacity);
            slot.sink = (raw, text, channel) -> emitPiece(slot, raw, text, channel);
            slots[i] = slot;
        }
        this.queue = queue;
        this.queueTimeoutNanos = queueTimeoutNanos;
        this.prefixReuse = prefixReuse;
        this.observer = observer;
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
        pieces = vocab.pieces();
        try {
            warmUp();
            while (!stopping || activeCount.get() > 0 || !queue.isEmpty()) {
                if (stopping && System.nanoTime() - stopDeadlineNanos > 0) {
                    abandonAll();
                    break;
                }
                step();
            }
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
            pieces.close();
        }
    }

    /** A first decode, so that the first request does not pay for lazy initialisation. */
    private void warmUp() {
        int token = vocab.isValid(vocab.bos()) ? vocab.bos() : 0;
        batch.clear();
        batch.add(token, 0, 0, true);
        ctx.decode(batch);
        ctx.clearSequence(0);
    }

    private void step() throws InterruptedException {
        long t0 = System.nanoTime();
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
            if (activeCount.get() == slots.length) {
                return;
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
                start(chooseSlot(p.prompt()), p, now);
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

    /** The free slot whose cache shares the longest prefix with the prompt, then the least recently used. */
    private Slot chooseSlot(int[] prompt) {
        Slot best = null;
        int bestPrefix = -1;
        for (Slot s : slots) {
            if (s.active()) {
                continue;
            }
            int prefix = prefixReuse ? s.commonPrefix(prompt) : 0;
            if (prefix > bestPrefix || prefix == bestPrefix && s.lastUsedNanos < best.lastUsedNanos) {
                best = s;
                bestPrefix = prefix;
            }
        }
        return best;
    }

    private void start(Slot s, Pending p, long now) {
        int[] prompt = p.prompt();
        int reuse = prefixReuse ? s.commonPrefix(prompt) : 0;
        if (reuse == prompt.length) {
            reuse--; // one prompt token must be decoded to get logits
        }
        if (reuse < s.cachedCount) {
            // Drop what diverges; a model that cannot cut its cache (recurrent) starts over.
            if (!ctx.removeTokens(s.id, reuse, -1)) {
                ctx.clearSequence(s.id);
                reuse = 0;
            }
            s.cachedCount = reuse;
        }
        GenerationRequest r = p.request();
        SamplerChain sampler;
        try {
            Sampling sm = r.sampling();
            sampler = SamplerChain.builder(vocab)
                    .logitBias(r.logitBias())
                    .grammar(r.grammar())
                    .penalties(sm.penaltyLastN(), sm.repeatPenalty(), sm.frequencyPenalty(), sm.presencePenalty())
                    .topK(sm.topK()).topP(sm.topP()).minP(sm.minP())
                    .temperature(sm.temperature()).seed(sm.seed())
                    .build();
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
        s.sampler = sampler;
        s.logprobs = r.topLogprobs() >= 0 ? new Logprobs(r.topLogprobs()) : null;
        s.filter = new OutputFilter(r.stop(), p.renderedPrompt());
        s.promptCached = reuse;
        s.admitted = now;
        s.admissionOrder = admissions++;
        s.firstToken = 0;
        s.state = SlotInfo.State.PREFILL;
        activeCount.incrementAndGet();
        counters.promptTokens.add(prompt.length);
        counters.cachedPromptTokens.add(reuse);
        long queued = now - p.enqueuedNanos();
        observer.requestStarted(r.id(), s.id, queued, prompt.length, reuse);
        p.stream().emit(new GenerationEvent.Started(s.id, prompt.length, reuse, TimeUnit.NANOSECONDS.toMillis(queued)));
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
            }
            int token = s.sampler.sample(ctx, row);
            if (s.logprobs != null) {
                s.logprobs.record(ctx.logits(row), token, pieces); // the row this step decoded: no extra work for llama.cpp
            }
            if (s.firstToken == 0) {
                s.firstToken = now;
                observer.firstToken(now - s.pending.enqueuedNanos());
            } else {
                observer.token(now - s.lastToken);
            }
            s.lastToken = now;
            if (vocab.isEndOfGeneration(token)) {
                finish(s, FinishReason.STOP, now);
                continue;
            }
            s.generated++;
            s.tokensSinceEmit++;
            if (s.filter.inReasoning()) {
                s.reasoningTokens++;
            }
            int n = pieces.piece(token, false);
            String text = s.utf8.append(pieces.bytes(), n);
            if (!text.isEmpty()) {
                s.filter.push(text, s.sink);
            }
            if (s.filter.stopped()) {
                finish(s, FinishReason.STOP, now);
            } else if (s.generated >= s.pending.request().maxTokens() || s.cachedCount >= s.cached.length) {
                finish(s, FinishReason.LENGTH, now);
            } else {
                s.nextToken = token;
            }
        }
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
        s.release(now);
        activeCount.decrementAndGet();
        stream.emit(new GenerationEvent.Done(reason, usage));
    }

    private void fail(Slot s, ErrorCode code, String message) {
        TokenStream stream = s.stream();
        ctx.clearSequence(s.id); // its cache is in an unknown state
        s.cachedCount = 0;
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
        for (Slot s : slots) {
            s.chunk = 0;
            if (s.active() && s.nextToken >= 0) {
                s.logitsRow = batch.add(s.nextToken, s.cachedCount, s.id, true);
            }
        }
        int budget = Math.min(batch.remaining(), prefillCap);
        // Oldest admission first, so prompts are served in arrival order.
        while (budget > 0) {
            Slot next = null;
            for (Slot s : slots) {
                if (s.state == SlotInfo.State.PREFILL && s.chunk == 0 && s.logitsRow < 0
                        && s.cachedCount < s.prompt().length && (next == null || s.admissionOrder < next.admissionOrder)) {
                    next = s;
                }
            }
            if (next == null) {
                break;
            }
            int[] prompt = next.prompt();
            int n = Math.min(budget, prompt.length - next.cachedCount);
            for (int i = 0; i < n; i++) {
                int pos = next.cachedCount + i;
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

    private void decode() {
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
            // No room in the KV cache: free idle slots' caches first, then try smaller prefill chunks,
            // and only then give up on the newest request.
            if (evictIdleCache()) {
                continue;
            }
            int prefill = 0;
            for (Slot s : slots) {
                prefill += s.chunk;
            }
            if (prefill > 1) {
                prefillCap = Math.max(1, prefill / 2);
            } else {
                Slot newest = null;
                for (Slot s : slots) {
                    if (s.active() && (newest == null || s.admissionOrder > newest.admissionOrder)) {
                        newest = s;
                    }
                }
                fail(newest, ErrorCode.CONTEXT_FULL, "context full: the KV cache has no room for this request's next token ("
                        + ctx.contextSize() + " cells shared by " + slots.length + " slots)");
            }
            for (Slot s : slots) {
                s.logitsRow = -1;
            }
            if (!fillBatch()) {
                return;
            }
        }
    }

    private boolean evictIdleCache() {
        Slot lru = null;
        for (Slot s : slots) {
            if (!s.active() && s.cachedCount > 0 && (lru == null || s.lastUsedNanos < lru.lastUsedNanos)) {
                lru = s;
            }
        }
        if (lru == null) {
            return false;
        }
        ctx.clearSequence(lru.id);
        lru.cachedCount = 0;
        return true;
    }

    /** After a successful decode: the batch's tokens are now in each slot's cache. */
    private void committed() {
        for (Slot s : slots) {
            if (!s.active()) {
                continue;
            }
            if (s.nextToken >= 0) {
                s.cached[s.cachedCount++] = s.nextToken;
                s.nextToken = -1;
            }
            if (s.chunk > 0) {
                System.arraycopy(s.prompt(), s.cachedCount, s.cached, s.cachedCount, s.chunk);
                s.cachedCount += s.chunk;
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
