package dev.parley.runtime.engine;

import java.util.concurrent.TimeUnit;

/**
 * Starts an admitted request on its slot: finds how much of the prompt the slot (or a KV tier entry
 * restored into it) already holds, cuts what diverges (saved first when another conversation may
 * want it), makes the sampler and the request's {@link Generation}, and tells the client it started.
 * Scheduler thread only.
 */
final class SlotStarter {

    private final StepExecutor ctx;
    private final SequenceCache sequences;
    private final SlotTable slots;
    private final KvMover kv;
    private final PrefixRestore prefixes;
    private final boolean prefixReuse;
    /** Null when speculative decoding is off (or the model cannot roll a sequence back). */
    private final Speculation speculation;
    private final Scheduler.Counters counters;
    private final EngineObserver observer;

    SlotStarter(StepExecutor ctx, SequenceCache sequences, SlotTable slots, KvMover kv, PrefixRestore prefixes, boolean prefixReuse,
                Speculation speculation, Scheduler.Counters counters, EngineObserver observer) {
        this.prefixes = prefixes;
        this.ctx = ctx;
        this.sequences = sequences;
        this.slots = slots;
        this.kv = kv;
        this.prefixReuse = prefixReuse;
        this.speculation = speculation;
        this.counters = counters;
        this.observer = observer;
    }

    /** Starts {@code p} on slot {@code s}; false when the request was refused (its stream has the failure). */
    boolean start(Slot s, Pending p, long now) {
        int[] prompt = p.prompt();
        GenerationRequest r = p.request();
        String ns = r.cacheNamespace();
        int reuse = prefixReuse ? s.commonPrefix(prompt, ns) : 0;
        CacheSource[] source = {reuse > 0 ? CacheSource.SLOT : CacheSource.MISS};
        reuse = prefixes.restoreBest(s, prompt, ns, reuse, source);
        if (reuse == prompt.length) {
            reuse--; // one prompt token must be decoded to get logits
        }
        if (reuse < s.kv.count()) {
            if (s.kv.count() - reuse >= KvMover.MIN_SAVE_TOKENS || kv.cutLosesPin(s, reuse)) {
                kv.offload(s); // the part about to be cut is another conversation's (or this one's other branch)
            }
            // Drop what diverges; a model that cannot cut its cache (recurrent) starts over.
            reuse = sequences.cut(s.kv, reuse);
        }
        sequences.claim(s.kv, ns);
        observer.cacheLookup(reuse == 0 ? CacheSource.MISS : source[0], reuse);
        TokenSampler sampler;
        try {
            sampler = ctx.newSampler(r, p.grammar());
        } catch (IllegalArgumentException e) {
            p.stream().emit(new GenerationEvent.Failed(ErrorCode.INVALID_REQUEST, e.getMessage()));
            counters.failed.increment();
            observer.requestFailed(ErrorCode.INVALID_REQUEST);
            return false;
        }
        if (r.sampling().penalized()) {
            int n = r.sampling().penaltyLastN() < 0 ? prompt.length : Math.min(prompt.length, r.sampling().penaltyLastN());
            for (int i = prompt.length - n; i < prompt.length; i++) {
                sampler.acceptPenaltyOnly(prompt[i]);
            }
        }
        boolean speculate = speculation != null && r.speculative() != Boolean.FALSE;
        s.conversationNamespace = ns;
        s.conversation = r.conversation();
        s.begin(new Generation(p, sampler, speculate, reuse, now, slots.started()));
        counters.promptTokens.add(prompt.length);
        counters.cachedPromptTokens.add(reuse);
        long queued = now - p.enqueuedNanos();
        observer.requestStarted(r.id(), s.id, queued, prompt.length, reuse);
        p.stream().emit(new GenerationEvent.Started(s.id, prompt.length, reuse, TimeUnit.NANOSECONDS.toMillis(queued)));
        return true;
    }
}
