package dev.parley.runtime.engine;

import dev.parley.runtime.text.Utf8Accumulator;

/**
 * One KV-cache sequence and the generation using it. Owned by the scheduler thread; the volatile
 * fields are what other threads may read.
 */
final class Slot {

    final int id;
    /** What this slot's KV sequence holds; changed by the scheduler's {@link SequenceCache} only. */
    final SequenceCache.Sequence kv;
    long lastUsedNanos;
    /** The conversation whose turn last used this slot, and until when it stays reserved for it. */
    volatile String conversation;
    /** The cache namespace of the turn that last used this slot (set with {@link #conversation}). */
    volatile String conversationNamespace;
    volatile long holdUntilNanos;
    volatile SlotInfo.State state = SlotInfo.State.IDLE;

    // the generation in progress (null fields while idle)
    Pending pending;
    volatile String requestId;
    TokenSampler sampler;
    /** Collects logprobs until the piece carrying their tokens goes out; null when the request asked for none. */
    Logprobs logprobs;
    OutputFilter filter;
    /** Where this slot's filter sends pieces; made once so that emitting allocates only the piece. */
    OutputFilter.Sink sink;
    final Utf8Accumulator utf8 = new Utf8Accumulator();
    int promptCached;
    volatile int generated;
    int reasoningTokens;
    int tokensSinceEmit;
    long admitted;
    long prefillDone;
    long firstToken;
    long lastToken;
    long admissionOrder;

    /**
     * Set while the generation is paused because the shared KV cache was full: its KV state waits in
     * {@link #pausedState} (off-heap, owned by this slot) and its sequence is empty until it resumes.
     */
    boolean paused;
    java.lang.foreign.Arena pausedArena;
    java.lang.foreign.MemorySegment pausedState;

    // per step
    /** Row of this slot's logits in the last decode, or -1. */
    int logitsRow = -1;
    /** The sampled token waiting to be decoded, or -1. */
    int nextToken = -1;
    /** Prompt tokens this step's batch carries for this slot. */
    int chunk;

    Slot(int id, SequenceCache.Sequence kv) {
        this.id = id;
        this.kv = kv;
    }

    boolean active() {
        return state != SlotInfo.State.IDLE;
    }

    int[] prompt() {
        return pending.prompt();
    }

    TokenStream stream() {
        return pending.stream();
    }

    SlotInfo info() {
        long held = conversation == null ? 0 : java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(holdUntilNanos - System.nanoTime());
        return new SlotInfo(id, state, requestId, kv.count(), generated, conversation, Math.max(0, held), conversationNamespace);
    }

    void dropPausedState() {
        if (pausedArena != null) {
            pausedArena.close();
            pausedArena = null;
            pausedState = null;
        }
    }

    /** Whether this idle slot is reserved for a conversation other than {@code conversation}. */
    boolean heldAgainst(String conversation, long now) {
        return this.conversation != null && holdUntilNanos - now > 0 && !this.conversation.equals(conversation);
    }

    /** Length of the common prefix of this slot's cached tokens and {@code tokens}, in {@code namespace}. */
    int commonPrefix(int[] tokens, String namespace) {
        return kv.commonPrefix(tokens, namespace);
    }

    /**
     * Back to idle; the cached tokens stay for the next request's prefix reuse (a paused slot's were
     * forgotten by the scheduler: its sequence was emptied when it paused).
     */
    void release(long now) {
        if (paused) {
            dropPausedState();
            paused = false;
        }
        if (sampler != null) {
            sampler.close();
            sampler = null;
        }
        pending = null;
        requestId = null;
        filter = null;
        logprobs = null;
        utf8.flush();
        logitsRow = -1;
        nextToken = -1;
        chunk = 0;
        generated = 0;
        reasoningTokens = 0;
        tokensSinceEmit = 0;
        lastUsedNanos = now;
        state = SlotInfo.State.IDLE;
    }
}
