package dev.parley.runtime.engine;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * What every slot's KV sequence holds, and the one caller of the executor's sequence calls (cut,
 * clear, save, restore): the tokens recorded here and the cells in the context change together, in
 * this class only. The scheduler decides when; this class keeps the record true. Scheduler thread only,
 * except {@link Sequence}'s reads, which other threads use for hints and stats.
 */
final class SequenceCache {

    /** One sequence's record. Its fields are written by {@link SequenceCache} alone. */
    static final class Sequence {
        private final int id;
        /** Tokens held in this sequence's KV cache, at positions 0..count-1. */
        private final int[] tokens;
        private int count;
        /** The cache namespace of what {@link #tokens} holds: only requests of the same namespace reuse it. */
        private String namespace;

        private Sequence(int id, int capacity) {
            this.id = id;
            this.tokens = new int[capacity];
        }

        int id() {
            return id;
        }

        int count() {
            return count;
        }

        /** The live array (read only): the first {@link #count} entries are what the KV holds. */
        int[] tokens() {
            return tokens;
        }

        int capacity() {
            return tokens.length;
        }

        String namespace() {
            return namespace;
        }

        /** Length of the common prefix of the cached tokens and {@code prompt}, in {@code ns}. */
        int commonPrefix(int[] prompt, String ns) {
            if (!Objects.equals(namespace, ns)) {
                return 0;
            }
            int n = Math.min(count, prompt.length);
            int i = 0;
            while (i < n && tokens[i] == prompt[i]) {
                i++;
            }
            return i;
        }
    }

    private final StepExecutor ctx;
    private final Sequence[] sequences;

    SequenceCache(StepExecutor ctx, int sequences, int capacity) {
        this.ctx = ctx;
        this.sequences = new Sequence[sequences];
        for (int i = 0; i < sequences; i++) {
            this.sequences[i] = new Sequence(i, capacity);
        }
    }

    Sequence get(int id) {
        return sequences[id];
    }

    /** Marks what the sequence holds as belonging to namespace {@code ns} (a new turn takes it). */
    void claim(Sequence s, String ns) {
        s.namespace = ns;
    }

    /**
     * Keeps the first {@code keep} tokens and drops the rest; a model that cannot cut its cache
     * (recurrent) loses all of it. Returns what is kept.
     */
    int cut(Sequence s, int keep) {
        if (!ctx.removeTokens(s.id, keep, -1)) {
            ctx.clearSequence(s.id);
            keep = 0;
        }
        s.count = keep;
        return keep;
    }

    /** Empties the sequence's KV. */
    void clear(Sequence s) {
        ctx.clearSequence(s.id);
        s.count = 0;
    }

    /** After a decode: {@code token} is now at the next position. */
    void appended(Sequence s, int token) {
        s.tokens[s.count++] = token;
    }

    /** After a decode: {@code n} tokens of {@code prompt}, from the next position on, are now in the KV. */
    void appended(Sequence s, int[] prompt, int n) {
        System.arraycopy(prompt, s.count, s.tokens, s.count, n);
        s.count += n;
    }

    /** Whether the context holds exactly the positions recorded (a save of anything else would lie). */
    boolean consistent(Sequence s) {
        return ctx.maxPosition(s.id) == s.count - 1;
    }

    int maxPosition(Sequence s) {
        return ctx.maxPosition(s.id);
    }

    long stateBytes(Sequence s) {
        return ctx.sequenceStateBytes(s.id);
    }

    /** Copies the sequence's KV state into {@code dst}; the KV stays in place. Returns the bytes written. */
    long save(Sequence s, MemorySegment dst) {
        return ctx.saveSequence(s.id, dst);
    }

    /**
     * Replaces the sequence's KV with a saved state of {@code tokens} (whose namespace is the
     * sequence's). Null on success, when the sequence holds them; else llama.cpp's refusal, the
     * sequence left empty.
     */
    String restore(Sequence s, MemorySegment state, int[] tokens) {
        String why = ctx.restoreRefusal(s.id, state, tokens.length);
        if (why == null) {
            System.arraycopy(tokens, 0, s.tokens, 0, tokens.length);
            s.count = tokens.length;
        } else {
            s.count = 0;
        }
        return why;
    }

    /**
     * Empties the KV of a sequence whose state was saved to resume later; the record of its tokens
     * stays, so {@link #unpark} knows what comes back (and a parked sequence holds no cells).
     */
    void park(Sequence s) {
        ctx.clearSequence(s.id);
    }

    /** Puts a parked sequence's saved state back; false when it does not fit (yet). */
    boolean unpark(Sequence s, MemorySegment state) {
        return ctx.restoreSequence(s.id, state, s.count);
    }

    /** Forgets a parked sequence's record: its state was dropped, its KV is already empty. */
    void forgetParked(Sequence s) {
        s.count = 0;
    }
}
