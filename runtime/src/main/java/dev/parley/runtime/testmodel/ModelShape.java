package dev.parley.runtime.testmodel;

import dev.parley.bindings.ModelQuantizer;
import dev.parley.runtime.gguf.GgufWriter.TensorType;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The shape of a generated model: a real tokenizer and chat template from llama.cpp's source, and
 * seeded random weights of the given architecture and size.
 *
 * @param vocabFile a vocab-only GGUF under llama.cpp's models/ (its tokenizer.* metadata is copied)
 * @param templateFile a chat template under models/templates/, or null to keep the vocab file's
 * @param quantization quantize the F16 weights with llama.cpp afterwards, or null
 * @param poolingType the {@code <arch>.pooling_type} to declare (llama.cpp's values: 1 mean, 2 cls,
 *     3 last), making it an embedding model; null for a generative model, which declares none
 * @param blockOutputScale the scale of the two matrices each layer writes into the residual stream
 *     with ({@code attn_output}, {@code ffn_down}), against the usual 1; at 0 the layers are computed
 *     and add nothing, so the next token depends on the current one only: after a token the model has
 *     seen, it says again what followed it, which is how an answer that quotes its history looks to a
 *     drafter (see {@link #BENCH_QWEN3_BIGRAM})
 */
public record ModelShape(
        String name,
        String architecture,
        String vocabFile,
        String templateFile,
        int embedding,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int feedForward,
        int contextLength,
        TensorType weightType,
        long seed,
        ModelQuantizer.Type quantization,
        Integer poolingType,
        double blockOutputScale) {

    /** A generative model (no pooling type). */
    public ModelShape(String name, String architecture, String vocabFile, String templateFile, int embedding, int layers, int heads,
                      int kvHeads, int headDim, int feedForward, int contextLength, TensorType weightType, long seed,
                      ModelQuantizer.Type quantization) {
        this(name, architecture, vocabFile, templateFile, embedding, layers, heads, kvHeads, headDim, feedForward, contextLength,
                weightType, seed, quantization, null);
    }

    /** A model with usual weights: an embedding model when {@code poolingType} is set. */
    public ModelShape(String name, String architecture, String vocabFile, String templateFile, int embedding, int layers, int heads,
                      int kvHeads, int headDim, int feedForward, int contextLength, TensorType weightType, long seed,
                      ModelQuantizer.Type quantization, Integer poolingType) {
        this(name, architecture, vocabFile, templateFile, embedding, layers, heads, kvHeads, headDim, feedForward, contextLength,
                weightType, seed, quantization, poolingType, 1.0);
    }

    public ModelShape {
        if (poolingType != null && (poolingType < 1 || poolingType > 3)) {
            throw new IllegalArgumentException("pooling type must be 1 (mean), 2 (cls) or 3 (last), got " + poolingType);
        }
        if (!List.of("qwen3", "llama").contains(architecture)) {
            throw new IllegalArgumentException("architecture must be qwen3 or llama, got " + architecture);
        }
        if (embedding < 8 || layers < 1 || heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || headDim < 2 || feedForward < 1) {
            throw new IllegalArgumentException("impossible model shape: " + embedding + " wide, " + layers + " layers, "
                    + heads + "/" + kvHeads + " heads of " + headDim + ", ffn " + feedForward);
        }
        if (!(blockOutputScale >= 0 && blockOutputScale <= 1)) {
            throw new IllegalArgumentException("block output scale must be within [0, 1], got " + blockOutputScale);
        }
        if (architecture.equals("llama") && heads * headDim != embedding) {
            throw new IllegalArgumentException("llama needs heads x head dim = embedding (" + heads + " x " + headDim + " != " + embedding + ")");
        }
    }

    /** The test model: Qwen3 architecture, Qwen tokenizer, Qwen3's chat template (thinking works). */
    public static final ModelShape TINY_QWEN3 = new ModelShape("tiny-qwen3", "qwen3", "ggml-vocab-qwen2.gguf",
            "Qwen-Qwen3-0.6B.jinja", 64, 2, 4, 2, 16, 128, 4096, TensorType.F32, 42, null);

    /**
     * A tiny embedding model shaped like Qwen3-Embedding: Qwen3 architecture and tokenizer, last-token
     * pooling declared in the GGUF, EOS appended to every input (as Qwen3-Embedding's tokenizer does).
     */
    public static final ModelShape TINY_QWEN3_EMBEDDING = new ModelShape("tiny-qwen3-embedding", "qwen3", "ggml-vocab-qwen2.gguf",
            null, 64, 2, 4, 2, 16, 128, 4096, TensorType.F32, 42, null, 3);

    /** A tiny Llama 3 with Llama 3.1's template. */
    public static final ModelShape TINY_LLAMA = new ModelShape("tiny-llama", "llama", "ggml-vocab-llama-bpe.gguf",
            "meta-llama-Llama-3.1-8B-Instruct.jinja", 64, 2, 4, 2, 16, 128, 4096, TensorType.F32, 42, null);

    /** A benchmark model of realistic cost: about 0.36 B parameters, Qwen3 shape, Q4_K_M. */
    public static final ModelShape BENCH_QWEN3 = new ModelShape("bench-qwen3-0.4b", "qwen3", "ggml-vocab-qwen2.gguf",
            "Qwen-Qwen3-0.6B.jinja", 1024, 16, 16, 8, 64, 3072, 32768, TensorType.F16, 42, ModelQuantizer.Type.Q4_K_M);

    /**
     * Qwen3 1.7B's shape (28 layers, 2048 wide, 16/8 heads of 128, FFN 6144), Q4_K_M: about 1.1 GB, what
     * the GPU benchmark runs (generated on the GPU host itself; a file this size does not travel).
     */
    public static final ModelShape BENCH_QWEN3_1_7B = new ModelShape("bench-qwen3-1.7b", "qwen3", "ggml-vocab-qwen2.gguf",
            "Qwen-Qwen3-0.6B.jinja", 2048, 28, 16, 8, 128, 6144, 40960, TensorType.F16, 42, ModelQuantizer.Type.Q4_K_M);

    /** Qwen3 4B's shape (36 layers, 2560 wide, 32/8 heads of 128, FFN 9728), Q4_K_M: about 2.4 GB. */
    public static final ModelShape BENCH_QWEN3_4B = new ModelShape("bench-qwen3-4b", "qwen3", "ggml-vocab-qwen2.gguf",
            "Qwen-Qwen3-0.6B.jinja", 2560, 36, 32, 8, 128, 9728, 40960, TensorType.F16, 42, ModelQuantizer.Type.Q4_K_M);

    /**
     * The benchmark model's shape and embeddings with layers that add nothing ({@code blockOutputScale}
     * 0): its next token is a function of the current one, so it repeats, word for word, what it said
     * after a token it has seen before. Random weights never quote their history; this model always
     * does, so drafting can be measured with drafts that are accepted. Every layer is still computed: a
     * step costs what the benchmark model's does.
     */
    public static final ModelShape BENCH_QWEN3_BIGRAM = new ModelShape("bench-qwen3-0.4b-bigram", "qwen3", "ggml-vocab-qwen2.gguf",
            "Qwen-Qwen3-0.6B.jinja", 1024, 16, 16, 8, 64, 3072, 32768, TensorType.F16, 42, ModelQuantizer.Type.Q4_K_M, null, 0.0);

    /**
     * A draft model for {@link #BENCH_QWEN3_BIGRAM}: the same embeddings and output matrix (same seed
     * and width), 2 layers instead of 16, so it predicts exactly what the model will say, as a small
     * model of a family predicts a large one at its best.
     */
    public static final ModelShape BENCH_QWEN3_BIGRAM_DRAFT = new ModelShape("bench-qwen3-bigram-draft", "qwen3", "ggml-vocab-qwen2.gguf",
            "Qwen-Qwen3-0.6B.jinja", 1024, 2, 16, 8, 64, 3072, 32768, TensorType.F16, 42, ModelQuantizer.Type.Q4_K_M, null, 0.0);

    /** {@link #TINY_QWEN3} with layers that add nothing: a test model that quotes its history. */
    public static final ModelShape TINY_QWEN3_BIGRAM = new ModelShape("tiny-qwen3-bigram", "qwen3", "ggml-vocab-qwen2.gguf",
            "Qwen-Qwen3-0.6B.jinja", 64, 2, 4, 2, 16, 128, 4096, TensorType.F32, 42, null, null, 0.0);

    public static final Map<String, ModelShape> PRESETS = Map.of(
            TINY_QWEN3.name(), TINY_QWEN3,
            TINY_LLAMA.name(), TINY_LLAMA,
            TINY_QWEN3_EMBEDDING.name(), TINY_QWEN3_EMBEDDING,
            TINY_QWEN3_BIGRAM.name(), TINY_QWEN3_BIGRAM,
            BENCH_QWEN3.name(), BENCH_QWEN3,
            BENCH_QWEN3_BIGRAM.name(), BENCH_QWEN3_BIGRAM,
            BENCH_QWEN3_BIGRAM_DRAFT.name(), BENCH_QWEN3_BIGRAM_DRAFT,
            BENCH_QWEN3_1_7B.name(), BENCH_QWEN3_1_7B,
            BENCH_QWEN3_4B.name(), BENCH_QWEN3_4B);

    public static ModelShape preset(String name) {
        ModelShape s = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("unknown model preset '" + name + "': one of " + PRESETS.keySet().stream().sorted().toList());
        }
        return s;
    }

    public ModelShape withQuantization(ModelQuantizer.Type q) {
        return new ModelShape(name, architecture, vocabFile, templateFile, embedding, layers, heads, kvHeads, headDim,
                feedForward, contextLength, q == null ? weightType : TensorType.F16, seed, q, poolingType, blockOutputScale);
    }

    public ModelShape withSeed(long s) {
        return new ModelShape(name, architecture, vocabFile, templateFile, embedding, layers, heads, kvHeads, headDim,
                feedForward, contextLength, weightType, s, quantization, poolingType, blockOutputScale);
    }
}
