package dev.parley.runtime.engine;

import dev.parley.runtime.kv.KvTiers;
import dev.parley.runtime.text.Utf8Accumulator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One request's generation on a slot: everything that starts with it and ends with it, made when it
 * is admitted and dropped when it ends, so nothing of one request can leak into the next. Scheduler
 * thread only, except the volatile fields, which stats read.
 */
final class Generation {

    final Pending pending;
    final TokenSampler sampler;
    /** Collects logprobs until the piece carrying their tokens goes out; null when the request asked for none. */
    final Logprobs logprobs;
    final OutputFilter filter;
    final Utf8Accumulator utf8 = new Utf8Accumulator();
    /** Whether this generation drafts (speculation on for the engine and the request). */
    final boolean speculate;
    final DraftGate gate = new DraftGate();
    /** Prompt tokens found in the cache at admission. */
    final int promptCached;
    final long admitted;
    /** Admission rank: lower is older. Prefill order, pausing and preemption go by it. */
    final long admissionOrder;

    volatile int generated;
    int reasoningTokens;
    int tokensSinceEmit;
    long prefillDone;
    long firstToken;
    long lastToken;

    /**
     * Set while the generation is paused because the shared KV cache was full: its KV state waits in
     * {@link #pausedState} (off-heap, owned by this generation) or in a tier entry ({@link #preemptedTo}),
     * and its sequence is empty until it resumes.
     */
    boolean paused;
    private Arena pausedArena;
    MemorySegment pausedState;
    /**
     * While preempted to the RAM tier instead: the tier's entry holding its KV state, pinned (so the
     * tier keeps it) until the resume restores it or the generation ends; null otherwise.
     */
    KvTiers.Match preemptedTo;
    /** The tokens its sequence held when it was preempted (the entry may hold more: it is cut back). */
    int preemptedCount;
    /** Times this generation was paused or preempted for room: the fairness bound counts them. */
    int preemptions;

    Generation(Pending pending, TokenSampler sampler, boolean speculate, int promptCached, long admitted, long admissionOrder) {
        this.pending = pending;
        this.sampler = sampler;
        this.logprobs = pending.request().topLogprobs() >= 0 ? new Logprobs(pending.request().topLogprobs()) : null;
        this.filter = new OutputFilter(pending.request().stop(), pending.thinking());
        this.speculate = speculate;
        this.promptCached = promptCached;
        this.admitted = admitted;
        this.admissionOrder = admissionOrder;
    }

    GenerationRequest request() {
        return pending.request();
    }

    int[] prompt() {
        return pending.prompt();
    }

    TokenStream stream() {
        return pending.stream();
    }

    /** Keeps a paused state (its arena closes with {@link #dropPausedState}). */
    void holdPausedState(Arena arena, MemorySegment state) {
        pausedArena = arena;
        pausedState = state;
    }

    void dropPausedState() {
        if (pausedArena != null) {
            pausedArena.close();
            pausedArena = null;
        }
        pausedState = null;
    }

    /** Frees what the generation holds outside the heap: its sampler and a paused state (not {@link #preemptedTo}: the {@link KvMover} lets go of that). */
    void close() {
        dropPausedState();
        paused = false;
        sampler.close();
    }
}
