package dev.parley.runtime.testmodel;

import dev.parley.runtime.gguf.GgufFile;
import dev.parley.runtime.gguf.GgufValue;
import dev.parley.runtime.gguf.GgufWriter;
import dev.parley.runtime.gguf.GgufWriter.TensorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a model of a {@link ModelShape}: every {@code tokenizer.*} key of the vocab-only GGUF, the
 * chosen chat template, the architecture's hyperparameters, and weights drawn from a random stream
 * seeded per tensor, so the same shape always gives the same bytes.
 */
public final class TestModelWriter {

    /**
     * Qwen3's added tokens. ggml-vocab-qwen2.gguf stops at Qwen2's <|im_end|> and pads the rest with
     * [PADnnnnnn]; Qwen3 uses those ids for tool and thinking markers, so a Qwen3 test model gets them
     * back with their real ids and types (3 = control, 4 = user-defined).
     */
    private static final List<Object[]> QWEN3_ADDED_TOKENS = List.of(
            new Object[] {151646, "<|object_ref_start|>", 3}, new Object[] {151647, "<|object_ref_end|>", 3},
            new Object[] {151648, "<|box_start|>", 3}, new Object[] {151649, "<|box_end|>", 3},
            new Object[] {151650, "<|quad_start|>", 3}, new Object[] {151651, "<|quad_end|>", 3},
            new Object[] {151652, "<|vision_start|>", 3}, new Object[] {151653, "<|vision_end|>", 3},
            new Object[] {151654, "<|vision_pad|>", 3}, new Object[] {151655, "<|image_pad|>", 3},
            new Object[] {151656, "<|video_pad|>", 3}, new Object[] {151657, "<tool_call>", 4},
            new Object[] {151658, "</tool_call>", 4}, new Object[] {151659, "<|fim_prefix|>", 3},
            new Object[] {151660, "<|fim_middle|>", 3}, new Object[] {151661, "<|fim_suffix|>", 3},
            new Object[] {151662, "<|fim_pad|>", 3}, new Object[] {151663, "<|repo_name|>", 3},
            new Object[] {151664, "<|file_sep|>", 3}, new Object[] {151665, "<tool_response>", 4},
            new Object[] {151666, "</tool_response>", 4}, new Object[] {151667, "<think>", 4},
            new Object[] {151668, "</think>", 4});

    private TestModelWriter() {
    }

    /** Writes an unquantized model of {@code shape} to {@code out}, reading vocab and template from {@code llamaSource}. */
    public static void write(ModelShape shape, Path llamaSource, Path out) throws IOException {
        Path vocabPath = llamaSource.resolve("models").resolve(shape.vocabFile());
        if (!Files.isRegularFile(vocabPath)) {
            throw new IOException("vocab file " + vocabPath + " is missing: run scripts/fetch-natives.sh");
        }
        GgufFile vocab = GgufFile.read(vocabPath);
        GgufWriter w = new GgufWriter();
        String arch = shape.architecture();
        w.put("general.architecture", GgufValue.string(arch));
        w.put("general.name", GgufValue.string("parley-" + shape.name()));
        w.put("general.file_type", GgufValue.uint32(shape.weightType() == TensorType.F32 ? 0 : 1));
        w.put(arch + ".context_length", GgufValue.uint32(shape.contextLength()));
        w.put(arch + ".embedding_length", GgufValue.uint32(shape.embedding()));
        w.put(arch + ".block_count", GgufValue.uint32(shape.layers()));
        w.put(arch + ".feed_forward_length", GgufValue.uint32(shape.feedForward()));
        w.put(arch + ".attention.head_count", GgufValue.uint32(shape.heads()));
        w.put(arch + ".attention.head_count_kv", GgufValue.uint32(shape.kvHeads()));
        w.put(arch + ".attention.key_length", GgufValue.uint32(shape.headDim()));
        w.put(arch + ".attention.value_length", GgufValue.uint32(shape.headDim()));
        w.put(arch + ".rope.freq_base", GgufValue.float32(arch.equals("qwen3") ? 1_000_000f : 500_000f));
        w.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.float32(1e-6f));
        if (shape.poolingType() != null) {
            w.put(arch + ".pooling_type", GgufValue.uint32(shape.poolingType()));
        }

        int vocabSize = -1;
        for (Map.Entry<String, GgufValue> kv : vocab.metadata().entrySet()) {
            String key = kv.getKey();
            if (!key.startsWith("tokenizer.") || (key.equals("tokenizer.chat_template") && shape.templateFile() != null)) {
                continue;
            }
            GgufValue value = kv.getValue();
            if (arch.equals("qwen3") && shape.vocabFile().contains("qwen2")) {
                value = withQwen3AddedTokens(key, value);
            }
            if (key.equals("tokenizer.ggml.tokens")) {
                vocabSize = value.list().size();
            }
            w.put(key, value);
        }
        if (shape.poolingType() != null) {
            // the pooled token is the EOS appended to every input, as in Qwen3-Embedding's tokenizer
            w.put("tokenizer.ggml.add_eos_token", GgufValue.bool(true));
        }
        if (vocabSize < 0) {
            throw new IOException(vocabPath + " has no tokenizer.ggml.tokens");
        }
        if (shape.templateFile() != null) {
            Path template = llamaSource.resolve("models/templates").resolve(shape.templateFile());
            w.put("tokenizer.chat_template", GgufValue.string(Files.readString(template)));
        }
        addTensors(w, shape, vocabSize);
        w.write(out);
    }

    private static GgufValue withQwen3AddedTokens(String key, GgufValue value) {
        if (!key.equals("tokenizer.ggml.tokens") && !key.equals("tokenizer.ggml.token_type")) {
            return value;
        }
        List<Object> items = new ArrayList<>(value.list());
        for (Object[] t : QWEN3_ADDED_TOKENS) {
            int id = (Integer) t[0];
            if (id < items.size()) {
                items.set(id, key.equals("tokenizer.ggml.tokens") ? t[1] : t[2]);
            }
        }
        return GgufValue.array(value.elementType(), items);
    }

    private static void addTensors(GgufWriter w, ModelShape s, int vocabSize) {
        int e = s.embedding();
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        TensorType t = s.weightType();
        w.add(matrix("token_embd.weight", e, vocabSize, t, s.seed(), 1.0));
        w.add(ones("output_norm.weight", e));
        // Untied on purpose: with random tied embeddings a token's own embedding dominates its logits
        // and the model only ever repeats its last input token.
        w.add(matrix("output.weight", e, vocabSize, t, s.seed(), 1 / Math.sqrt(e)));
        for (int i = 0; i < s.layers(); i++) {
            String p = "blk." + i + ".";
            w.add(ones(p + "attn_norm.weight", e));
            w.add(matrix(p + "attn_q.weight", e, q, t, s.seed(), 1 / Math.sqrt(e)));
            w.add(matrix(p + "attn_k.weight", e, kv, t, s.seed(), 1 / Math.sqrt(e)));
            w.add(matrix(p + "attn_v.weight", e, kv, t, s.seed(), 1 / Math.sqrt(e)));
            w.add(matrix(p + "attn_output.weight", q, e, t, s.seed(), s.blockOutputScale() / Math.sqrt(q)));
            if (s.architecture().equals("qwen3")) {
                w.add(ones(p + "attn_q_norm.weight", s.headDim()));
                w.add(ones(p + "attn_k_norm.weight", s.headDim()));
            }
            w.add(ones(p + "ffn_norm.weight", e));
            w.add(matrix(p + "ffn_gate.weight", e, s.feedForward(), t, s.seed(), 1 / Math.sqrt(e)));
            w.add(matrix(p + "ffn_up.weight", e, s.feedForward(), t, s.seed(), 1 / Math.sqrt(e)));
            w.add(matrix(p + "ffn_down.weight", s.feedForward(), e, t, s.seed(), s.blockOutputScale() / Math.sqrt(s.feedForward())));
        }
    }

    /** Uniform values with standard deviation {@code std}, from a stream seeded by the model seed and the tensor name. */
    private static GgufWriter.Tensor matrix(String name, long cols, long rows, TensorType type, long seed, double std) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        float scale = (float) (std * Math.sqrt(3));
        return new GgufWriter.Tensor(name, new long[] {cols, rows}, type, (out, n) -> {
            for (int i = 0; i < n; i++) {
                out[i] = (float) (random.nextDouble() * 2 - 1) * scale;
            }
        });
    }

    private static GgufWriter.Tensor ones(String name, long n) {
        return new GgufWriter.Tensor(name, new long[] {n}, TensorType.F32, (out, k) -> java.util.Arrays.fill(out, 0, k, 1f));
    }
}
