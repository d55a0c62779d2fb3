package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import dev.parley.bindings.llama.llama_context_params;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A llama.cpp context: the KV cache of {@code sequences} slots and the decode machinery. Not
 * thread-safe: one thread (the scheduler's) makes every call. Close it before its model.
 */
public final class LlamaContext implements AutoCloseable {

    private final LlamaModel model;
    private final ContextOptions options;
    private final int contextSize;
    private final int batchSize;
    private final int outputsMax;
    private MemorySegment handle;
    private final MemorySegment memory;

    private LlamaContext(LlamaModel model, ContextOptions options, MemorySegment handle) {
        this.model = model;
        this.options = options;
        this.handle = handle;
        this.memory = Llama.llama_get_memory(handle);
        this.contextSize = Llama.llama_n_ctx(handle);
        this.batchSize = Llama.llama_n_batch(handle);
        this.outputsMax = options.effectiveOutputsMax();
    }

    public static LlamaContext create(LlamaModel model, ContextOptions options) {
        int maxSeq = (int) Llama.llama_max_parallel_sequences();
        if (options.sequences() > maxSeq) {
            throw new IllegalArgumentException("llama.cpp supports at most " + maxSeq + " sequences (slots), asked for " + options.sequences());
        }
        if (options.effectiveOutputsMax() < options.sequences()) {
            throw new IllegalArgumentException("outputsMax " + options.outputsMax() + " is below the sequence count " + options.sequences());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = Llama.llama_context_default_params(arena);
            llama_context_params.n_ctx(p, options.contextSize());
            llama_context_params.n_batch(p, options.batchSize());
            llama_context_params.n_ubatch(p, options.microBatchSize());
            llama_context_params.n_seq_max(p, options.sequences());
            llama_context_params.n_outputs_max(p, options.effectiveOutputsMax());
            llama_context_params.n_threads(p, options.threads());
            llama_context_params.n_threads_batch(p, options.batchThreads());
            llama_context_params.flash_attn_type(p, switch (options.flashAttention()) {
                case AUTO -> Llama.LLAMA_FLASH_ATTN_TYPE_AUTO;
                case ON -> Llama.LLAMA_FLASH_ATTN_TYPE_ENABLED;
                case OFF -> Llama.LLAMA_FLASH_ATTN_TYPE_DISABLED;
            });
            llama_context_params.type_k(p, options.kvCacheType().ggmlType);
            llama_context_params.type_v(p, options.kvCacheType().ggmlType);
            llama_context_params.kv_unified(p, options.unifiedKv());
            llama_context_params.no_perf(p, true);
            if (options.pooling() != null) {
                llama_context_params.embeddings(p, true);
                llama_context_params.pooling_type(p, options.pooling().nativeValue());
            }
            NativeLog.beginCapture();
            MemorySegment ctx;
            List<String> errors;
            try {
                ctx = Llama.llama_init_from_model(model.handle(), p);
            } finally {
                errors = NativeLog.endCapture();
            }
            if (ctx.equals(MemorySegment.NULL)) {
                throw new NativeCallException("cannot create a context (" + options + ") for " + model.path() + ": "
                        + (errors.isEmpty() ? "llama.cpp returned NULL" : String.join("; ", errors)));
            }
            return new LlamaContext(model, options, ctx);
        }
    }

    public LlamaModel model() {
        return model;
    }

    public ContextOptions options() {
        return options;
    }

    /** KV cells in all (shared by the sequences when the KV cache is unified). */
    public int contextSize() {
        return contextSize;
    }

    /** Most tokens one {@link #decode} may carry. */
    public int batchSize() {
        return batchSize;
    }

    public int sequences() {
        return options.sequences();
    }

    /** A batch for this context; {@code capacity} is capped at the context's batch size. */
    public Batch newBatch(int capacity) {
        if (capacity > batchSize) {
            throw new IllegalArgumentException("batch capacity " + capacity + " exceeds the context's batch size " + batchSize);
        }
        return new Batch(capacity, model.vocab().size(), options.sequences(), outputsMax);
    }

    private MemorySegment handle() {
        if (handle == null) {
            throw new IllegalStateException("context is closed");
        }
        return handle;
    }

    /** Decodes a batch. Its logits stay readable until the next decode. */
    public DecodeStatus decode(Batch batch) {
        if (batch.size() == 0) {
            throw new IllegalArgumentException("cannot decode an empty batch");
        }
        if (batch.size() > batchSize) {
            throw new IllegalArgumentException("batch of " + batch.size() + " tokens exceeds the context's batch size " + batchSize);
        }
        return DecodeStatus.of(Llama.llama_decode(handle(), batch.prepared()));
    }

    /**
     * Output row {@code batchIndex} of the last decode: one logit per vocabulary entry, read-only, valid
     * until the next decode.
     */
    public MemorySegment logits(int batchIndex) {
        MemorySegment row = Llama.llama_get_logits_ith(handle(), batchIndex);
        if (row.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("no logits for batch index " + batchIndex + " in the last decode");
        }
        return row.reinterpret((long) model.vocab().size() * Float.BYTES).asReadOnly();
    }

    /**
     * The most likely token of output row {@code batchIndex} of the last decode: greedy sampling
     * without building llama.cpp's candidate array over the whole vocabulary.
     */
    public int argmax(int batchIndex) {
        MemorySegment row = Llama.llama_get_logits_ith(handle(), batchIndex);
        if (row.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("no logits for batch index " + batchIndex + " in the last decode");
        }
        int vocab = model.vocab().size();
        MemorySegment logits = row.reinterpret((long) vocab * Float.BYTES);
        int best = 0;
        float max = logits.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
        for (int i = 1; i < vocab; i++) {
            float v = logits.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (v > max) {
                max = v;
                best = i;
            }
        }
        return best;
    }

    // ---- embeddings (contexts made with a pooling) ----

    /** The pooling this context applies (llama.cpp's choice when the options left it to the model). */
    public Pooling pooling() {
        return Pooling.ofNative(Llama.llama_pooling_type(handle()));
    }

    /**
     * The pooled embedding of a sequence after the last decode, copied out ({@code n_embd} floats, not
     * normalized). Only for an embedding context whose pooling gives one vector per sequence.
     */
    public float[] sequenceEmbedding(int seq) {
        checkSequence(seq);
        if (options.pooling() == null || !pooling().pools()) {
            throw new IllegalStateException("this context does not pool embeddings (pooling " + pooling() + ")");
        }
        MemorySegment row = Llama.llama_get_embeddings_seq(handle(), seq);
        if (row.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("no embedding for sequence " + seq + " in the last decode");
        }
        int n = model.embeddingLength();
        return row.reinterpret((long) n * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
    }

    // ---- KV memory per sequence ----

    private void checkSequence(int seq) {
        if (seq < 0 || seq >= options.sequences()) {
            throw new IllegalArgumentException("sequence id " + seq + " is out of range 0.." + (options.sequences() - 1));
        }
    }

    /** Removes positions [from, to) of a sequence (to < 0: to the end). False if it cannot (recurrent models). */
    public boolean removeTokens(int seq, int from, int to) {
        checkSequence(seq);
        return Llama.llama_memory_seq_rm(memory, seq, from, to);
    }

    /** Drops everything a sequence holds. */
    public void clearSequence(int seq) {
        removeTokens(seq, -1, -1);
    }

    /** Largest position held by a sequence, -1 when empty. */
    public int maxPosition(int seq) {
        checkSequence(seq);
        return Llama.llama_memory_seq_pos_max(memory, seq);
    }

    public void clearMemory() {
        Llama.llama_memory_clear(memory, true);
    }

    // ---- per-sequence state (for saving slots to host memory and disk) ----

    /** Bytes {@link #saveSequence} needs for the KV state a sequence holds now. */
    public long sequenceStateBytes(int seq) {
        checkSequence(seq);
        return Llama.llama_state_seq_get_size_ext(handle(), seq, 0);
    }

    /**
     * Copies the KV state of a sequence into {@code dst} (sized by {@link #sequenceStateBytes}) and
     * returns the bytes written. Throws when llama.cpp writes nothing (it refuses a buffer that is too
     * small rather than overrun it), so a caller never keeps a partial state. The size is not measured
     * again here: that is a pass over every cell of the sequence.
     */
    public long saveSequence(int seq, MemorySegment dst) {
        checkSequence(seq);
        long written = Llama.llama_state_seq_get_data_ext(handle(), dst, dst.byteSize(), seq, 0);
        if (written <= 0 || written > dst.byteSize()) {
            throw new NativeCallException("llama_state_seq_get_data_ext wrote " + written + " bytes for sequence " + seq
                    + " into a buffer of " + dst.byteSize());
        }
        return written;
    }

    /**
     * Loads a state saved by {@link #saveSequence} into an empty sequence and checks that it holds
     * exactly {@code tokens} positions afterwards. False (with the sequence left empty) when llama.cpp
     * refuses it: no room in the KV cache, a different layout, or bytes that do not parse.
     */
    public boolean restoreSequence(int seq, MemorySegment src, int tokens) {
        return restoreRefusal(seq, src, tokens) == null;
    }

    /**
     * {@link #restoreSequence}, saying why a state was refused: null when it was restored, else the
     * reason (llama.cpp's own lines, or what the check afterwards found). llama.cpp's lines are logged
     * at DEBUG only: a refusal is an outcome the caller handles, and reports once with its context.
     */
    public String restoreRefusal(int seq, MemorySegment src, int tokens) {
        checkSequence(seq);
        if (maxPosition(seq) >= 0) {
            throw new IllegalStateException("sequence " + seq + " must be empty before a restore");
        }
        long read;
        List<String> lines;
        NativeLog.beginQuietCapture();
        try {
            read = Llama.llama_state_seq_set_data_ext(handle(), src, src.byteSize(), seq, 0);
        } finally {
            lines = NativeLog.endCapture();
        }
        int max = maxPosition(seq);
        if (read == src.byteSize() && max == tokens - 1) {
            return null;
        }
        clearSequence(seq);
        if (read != src.byteSize()) {
            return lines.isEmpty() ? "llama.cpp read " + read + " of " + src.byteSize() + " bytes" : String.join("; ", lines);
        }
        return "the state holds positions up to " + max + ", not " + (tokens - 1);
    }

    MemorySegment nativeHandle() {
        return handle();
    }

    @Override
    public void close() {
        if (handle != null) {
            Llama.llama_free(handle);
            handle = null;
        }
    }
}
