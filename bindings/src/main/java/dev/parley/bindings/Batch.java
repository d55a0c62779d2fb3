package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import dev.parley.bindings.llama.llama_batch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable {@code llama_batch}: tokens, positions, sequence ids and output flags, written straight
 * into native arrays. Every value is checked here, because llama.cpp aborts the process on an
 * out-of-range token or an overfull batch rather than returning an error. Made by
 * {@link LlamaContext#newBatch(int)}; not thread-safe.
 */
public final class Batch implements AutoCloseable {

    private final Arena arena = Arena.ofShared();
    private final MemorySegment struct;
    private final MemorySegment tokens;
    private final MemorySegment positions;
    private final MemorySegment seqCounts;
    private final MemorySegment[] seqIds;
    private final MemorySegment outputFlags;
    private final int capacity;
    private final int vocabSize;
    private final int sequences;
    private final int outputsMax;
    private int size;
    private int outputs;
    private boolean closed;

    Batch(int capacity, int vocabSize, int sequences, int outputsMax) {
        if (capacity < 1) {
            throw new IllegalArgumentException("batch capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.vocabSize = vocabSize;
        this.sequences = sequences;
        this.outputsMax = outputsMax;
        this.struct = Llama.llama_batch_init(arena, capacity, 0, 1);
        this.tokens = llama_batch.token(struct).reinterpret((long) capacity * Integer.BYTES);
        this.positions = llama_batch.pos(struct).reinterpret((long) capacity * Integer.BYTES);
        this.seqCounts = llama_batch.n_seq_id(struct).reinterpret((long) capacity * Integer.BYTES);
        this.outputFlags = llama_batch.logits(struct).reinterpret(capacity);
        MemorySegment rows = llama_batch.seq_id(struct).reinterpret((long) capacity * ValueLayout.ADDRESS.byteSize());
        this.seqIds = new MemorySegment[capacity];
        for (int i = 0; i < capacity; i++) {
            seqIds[i] = rows.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(Integer.BYTES);
        }
    }

    public int capacity() {
        return capacity;
    }

    public int size() {
        return size;
    }

    public int remaining() {
        return capacity - size;
    }

    /** Rows of logits this batch asks for. */
    public int outputs() {
        return outputs;
    }

    public void clear() {
        size = 0;
        outputs = 0;
    }

    /**
     * Appends one token and returns its index in the batch (the index to sample logits from).
     *
     * @param output whether to compute logits for this token
     */
    public int add(int token, int position, int sequence, boolean output) {
        if (closed) {
            throw new IllegalStateException("batch is closed");
        }
        if (size >= capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " tokens)");
        }
        if (token < 0 || token >= vocabSize) {
            throw new IllegalArgumentException("token id " + token + " is out of range: the vocabulary has ids 0.." + (vocabSize - 1));
        }
        if (sequence < 0 || sequence >= sequences) {
            throw new IllegalArgumentException("sequence id " + sequence + " is out of range 0.." + (sequences - 1));
        }
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, got " + position);
        }
        if (output && outputs >= outputsMax) {
            throw new IllegalStateException("batch already asks for " + outputsMax + " rows of logits, the context's limit");
        }
        int i = size++;
        tokens.setAtIndex(ValueLayout.JAVA_INT, i, token);
        positions.setAtIndex(ValueLayout.JAVA_INT, i, position);
        seqCounts.setAtIndex(ValueLayout.JAVA_INT, i, 1);
        seqIds[i].set(ValueLayout.JAVA_INT, 0, sequence);
        outputFlags.set(ValueLayout.JAVA_BYTE, i, output ? (byte) 1 : 0);
        if (output) {
            outputs++;
        }
        return i;
    }

    /** The native struct with its token count set, for {@link LlamaContext#decode}. */
    MemorySegment prepared() {
        if (closed) {
            throw new IllegalStateException("batch is closed");
        }
        llama_batch.n_tokens(struct, size);
        return struct;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Llama.llama_batch_free(struct);
            arena.close();
        }
    }
}
