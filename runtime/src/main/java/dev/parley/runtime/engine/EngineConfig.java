package dev.parley.runtime.engine;

import dev.parley.bindings.ContextOptions;
import dev.parley.bindings.KvCacheType;
import dev.parley.runtime.kv.KvSettings;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the engine is built from.
 *
 * @param gpuLayers layers to offload; null means all where a GPU backend is loaded, none otherwise
 * @param contextSize KV cells of the context in all (shared by the slots when the KV cache is unified)
 * @param slots the most generations at once (llama.cpp sequences): with a unified KV cache they are
 *     admitted while its cells hold them, so this is a ceiling (see {@code Admission})
 * @param queueCapacity requests that may wait for a slot before new ones are refused
 * @param queueTimeout how long a request may wait for a slot
 * @param prefixReuse keep the KV cache of a slot's earlier tokens and prefill only what differs
 * @param chatTemplateOverride a template file to use instead of the model's, or null
 * @param repack let ggml repack CPU weights into faster layouts (llama-server's --no-repack turns it off)
 * @param parseSpecialInContent tokenize control-token text inside messages as control tokens (the old,
 *     injectable behaviour); by default message text is text and only the template's own markup is special
 * @param kvTiers the host-RAM and disk tiers behind the slots
 * @param speculation speculative decoding ({@link Speculation#OFF} by default)
 */
public record EngineConfig(
        Path model,
        Integer gpuLayers,
        int contextSize,
        int slots,
        int batchSize,
        int microBatchSize,
        int threads,
        int batchThreads,
        ContextOptions.FlashAttention flashAttention,
        KvCacheType kvCacheType,
        boolean unifiedKv,
        int queueCapacity,
        Duration queueTimeout,
        boolean prefixReuse,
        Path chatTemplateOverride,
        boolean repack,
        boolean parseSpecialInContent,
        KvSettings kvTiers,
        Speculation speculation) {

    /** Without speculative decoding. */
    public EngineConfig(Path model, Integer gpuLayers, int contextSize, int slots, int batchSize, int microBatchSize, int threads,
                        int batchThreads, ContextOptions.FlashAttention flashAttention, KvCacheType kvCacheType, boolean unifiedKv,
                        int queueCapacity, Duration queueTimeout, boolean prefixReuse, Path chatTemplateOverride, boolean repack,
                        boolean parseSpecialInContent, KvSettings kvTiers) {
        this(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention, kvCacheType,
                unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, kvTiers,
                Speculation.OFF);
    }

    /** Message text tokenized as text (the default), and {@link #DEFAULT_KV}'s RAM tier. */
    public EngineConfig(Path model, Integer gpuLayers, int contextSize, int slots, int batchSize, int microBatchSize, int threads,
                        int batchThreads, ContextOptions.FlashAttention flashAttention, KvCacheType kvCacheType, boolean unifiedKv,
                        int queueCapacity, Duration queueTimeout, boolean prefixReuse, Path chatTemplateOverride, boolean repack) {
        this(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention, kvCacheType,
                unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, false, DEFAULT_KV);
    }

    /** 1 GiB of host RAM for idle conversations' KV, no disk tier (the server turns that on under its data directory). */
    public static final KvSettings DEFAULT_KV = KvSettings.ram(1L << 30);

    public EngineConfig {
        kvTiers = kvTiers == null ? KvSettings.OFF : kvTiers;
        speculation = speculation == null ? Speculation.OFF : speculation;
        if (model == null) {
            throw new IllegalArgumentException("a model path is required");
        }
        if (contextSize < 16) {
            throw new IllegalArgumentException("context size must be >= 16, got " + contextSize);
        }
        if (slots < 1 || slots > 256) {
            throw new IllegalArgumentException("slots must be between 1 and 256, got " + slots);
        }
        if (!unifiedKv && contextSize / slots < 16) {
            throw new IllegalArgumentException("without a unified KV cache each of the " + slots + " slots gets " + contextSize / slots
                    + " cells of the " + contextSize + "-cell context: too few");
        }
        if (queueCapacity < 0) {
            throw new IllegalArgumentException("queue capacity must be >= 0, got " + queueCapacity);
        }
        if (queueTimeout == null || queueTimeout.isNegative() || queueTimeout.isZero()) {
            throw new IllegalArgumentException("queue timeout must be positive");
        }
    }

    /** Sensible defaults for a model: 4 slots of a 4096-cell unified context, all cores. */
    public static EngineConfig defaults(Path model) {
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new EngineConfig(model, null, 4096, 4, 512, 512, cores, cores, ContextOptions.FlashAttention.AUTO,
                KvCacheType.F16, true, 64, Duration.ofSeconds(30), true, null, true);
    }

    public EngineConfig withSlots(int n, int context) {
        return new EngineConfig(model, gpuLayers, context, n, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, kvTiers, speculation);
    }

    public EngineConfig withBatch(int batch, int microBatch) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batch, microBatch, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, kvTiers, speculation);
    }

    public EngineConfig withQueue(int capacity, Duration timeout) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, capacity, timeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, kvTiers, speculation);
    }

    public EngineConfig withPrefixReuse(boolean on) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, on, chatTemplateOverride, repack, parseSpecialInContent, kvTiers, speculation);
    }

    public EngineConfig withThreads(int decode, int prefill) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, decode, prefill, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, kvTiers, speculation);
    }

    public EngineConfig withKv(KvCacheType type, boolean unified) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                type, unified, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, kvTiers, speculation);
    }

    public EngineConfig withGpuLayers(Integer layers) {
        return new EngineConfig(model, layers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, kvTiers, speculation);
    }

    public EngineConfig withChatTemplate(Path file) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, prefixReuse, file, repack, parseSpecialInContent, kvTiers, speculation);
    }

    public EngineConfig withParseSpecialInContent(boolean on) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, on, kvTiers, speculation);
    }

    public EngineConfig withKvTiers(KvSettings tiers) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, tiers, speculation);
    }

    public EngineConfig withSpeculation(Speculation s) {
        return new EngineConfig(model, gpuLayers, contextSize, slots, batchSize, microBatchSize, threads, batchThreads, flashAttention,
                kvCacheType, unifiedKv, queueCapacity, queueTimeout, prefixReuse, chatTemplateOverride, repack, parseSpecialInContent, kvTiers, s);
    }

    ContextOptions contextOptions() {
        return new ContextOptions(contextSize, batchSize, Math.min(microBatchSize, batchSize), slots, threads, batchThreads,
                flashAttention, kvCacheType, unifiedKv, outputRows());
    }

    /**
     * Rows of logits one decode may ask for: one per slot (0, the context's default), or with drafts
     * one per slot and draft token, so that every slot drafting at once still fits (a prefilling slot
     * asks for one row and drafts nothing). The logits buffer grows by that many vocabulary-sized rows.
     */
    private int outputRows() {
        return speculation.on() ? Math.max(slots, Math.min(batchSize, slots * (1 + speculation.maxDraft()))) : 0;
    }
}
