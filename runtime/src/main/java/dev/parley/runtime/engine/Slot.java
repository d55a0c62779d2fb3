package dev.parley.runtime.engine;

import java.util.concurrent.TimeUnit;

/**
 * One KV-cache sequence and the generation using it, if any. Owned by the scheduler thread; the
 * volatile fields are what other threads may read. What the sequence holds is {@link #kv}, written by
 * the {@link SequenceCache} only; what a request brings is its {@link Generation}.
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
    /** The generation in progress; null while idle. */
    volatile Generation gen;
    /** Where this slot's filter sends pieces; made once so that emitting allocates only the piece. */
    OutputFilter.Sink sink;

    // between steps
    /** Row of this slot's logits in the last decode, or -1. */
    int logitsRow = -1;
    /** The sampled token waiting to be decoded, or -1. */
    int nextToken = -1;

    Slot(int id, SequenceCache.Sequence kv) {
        this.id = id;
        this.kv = kv;
    }

    boolean active() {
        return state != SlotInfo.State.IDLE;
    }

    /** Active and not paused: its tokens go into batches. */
    boolean running() {
        Generation g = gen;
        return g != null && !g.paused;
    }

    boolean paused() {
        Generation g = gen;
        return g != null && g.paused;
    }

    int[] prompt() {
        return gen.prompt();
    }

    TokenStream stream() {
        return gen.stream();
    }

    SlotInfo info() {
        long held = conversation == null ? 0 : TimeUnit.NANOSECONDS.toMillis(holdUntilNanos - System.nanoTime());
        Generation g = gen;
        return new SlotInfo(id, state, g == null ? null : g.request().id(), kv.count(), g == null ? 0 : g.generated,
                conversation, Math.max(0, held), conversationNamespace);
    }

    /** Takes a new generation. */
    void begin(Generation g) {
        gen = g;
        state = SlotInfo.State.PREFILL;
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
        Generation g = gen;
        if (g != null) {
            g.close();
        }
        gen = null;
        logitsRow = -1;
        nextToken = -1;
        lastUsedNanos = now;
        state = SlotInfo.State.IDLE;
    }
}
