package dev.parley.bindings;

/**
 * How to make a context.
 *
 * @param contextSize KV cells in all (0 = the model's training context)
 * @param batchSize most tokens in one {@code decode} call (n_batch)
 * @param microBatchSize most tokens in one compute graph (n_ubatch), at most {@code batchSize}
 * @param sequences KV-cache sequences, i.e. slots (n_seq_max)
 * @param threads threads for single-token decoding
 * @param batchThreads threads for prompt (batch) processing
 * @param flashAttention AUTO, ON or OFF
 * @param kvCacheType element type of the K and V cache
 * @param unifiedKv one KV buffer shared by all sequences (a long conversation may use more than 1/N)
 * @param outputsMax most rows of logits one decode call may ask for (0 = {@code sequences})
 * @param pooling null for a generation context; else an embedding context ({@code embeddings = true})
 *     pooling this way ({@link Pooling#UNSPECIFIED}: the model's own type)
 */
public record ContextOptions(
        int contextSize,
        int batchSize,
        int microBatchSize,
        int sequences,
        int threads,
        int batchThreads,
        FlashAttention flashAttention,
        KvCacheType kvCacheType,
        boolean unifiedKv,
        int outputsMax,
        Pooling pooling) {

    public enum FlashAttention { AUTO, ON, OFF }

    /** A generation context (no embeddings). */
    public ContextOptions(int contextSize, int batchSize, int microBatchSize, int sequences, int threads, int batchThreads,
                          FlashAttention flashAttention, KvCacheType kvCacheType, boolean unifiedKv, int outputsMax) {
        this(contextSize, batchSize, microBatchSize, sequences, threads, batchThreads, flashAttention, kvCacheType, unifiedKv, outputsMax, null);
    }

    public ContextOptions {
        if (contextSize < 0) {
            throw new IllegalArgumentException("context size must be >= 0 (0 = the model's), got " + contextSize);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (microBatchSize < 1 || microBatchSize > batchSize) {
            throw new IllegalArgumentException("micro-batch size must be between 1 and the batch size " + batchSize + ", got " + microBatchSize);
        }
        if (sequences < 1) {
            throw new IllegalArgumentException("sequences (slots) must be >= 1, got " + sequences);
        }
        if (threads < 1 || batchThreads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads + "/" + batchThreads);
        }
        if (outputsMax < 0) {
            throw new IllegalArgumentException("outputsMax must be >= 0, got " + outputsMax);
        }
        if (flashAttention == null || kvCacheType == null) {
            throw new IllegalArgumentException("flash attention and KV cache type are required");
        }
    }

    /** Defaults for one sequence of {@code contextSize} on this machine's cores. */
    public static ContextOptions of(int contextSize, int sequences) {
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new ContextOptions(contextSize, 512, 512, sequences, cores, cores, FlashAttention.AUTO, KvCacheType.F16, true, 0);
    }

    public ContextOptions withBatch(int batch, int microBatch) {
        return new ContextOptions(contextSize, batch, microBatch, sequences, threads, batchThreads, flashAttention, kvCacheType, unifiedKv, outputsMax, pooling);
    }

    public ContextOptions withThreads(int decodeThreads, int prefillThreads) {
        return new ContextOptions(contextSize, batchSize, microBatchSize, sequences, decodeThreads, prefillThreads, flashAttention, kvCacheType, unifiedKv, outputsMax, pooling);
    }

    public ContextOptions withKv(KvCacheType type, boolean unified) {
        return new ContextOptions(contextSize, batchSize, microBatchSize, sequences, threads, batchThreads, flashAttention, type, unified, outputsMax, pooling);
    }

    public ContextOptions withFlashAttention(FlashAttention fa) {
        return new ContextOptions(contextSize, batchSize, microBatchSize, sequences, threads, batchThreads, fa, kvCacheType, unifiedKv, outputsMax, pooling);
    }

    public ContextOptions withOutputsMax(int max) {
        return new ContextOptions(contextSize, batchSize, microBatchSize, sequences, threads, batchThreads, flashAttention, kvCacheType, unifiedKv, max, pooling);
    }

    /**
     * An embedding context pooling this way. Every token of an embedding batch is an output row, so the
     * output limit becomes the batch size.
     */
    public ContextOptions withPooling(Pooling p) {
        return new ContextOptions(contextSize, batchSize, microBatchSize, sequences, threads, batchThreads, flashAttention, kvCacheType,
                unifiedKv, p == null ? outputsMax : batchSize, p);
    }

    /** The effective output-row limit. */
    public int effectiveOutputsMax() {
        return outputsMax == 0 ? sequences : outputsMax;
    }
}
