package dev.parley.gpu;

/**
 * Decides how much of a model goes on the GPU before loading it: weights, KV cache (slots share the
 * context: context x layers x KV heads x head size x K and V x element size) and compute buffers
 * against the device's free memory, with a safety margin. Full offload if it fits; else, when the
 * context size was not set by the operator, a smaller context with full offload; else as many layers
 * as fit. An explicit layer count that cannot fit is refused with the numbers.
 */
public final class FitPlanner {

    /** What the planner needs to know about the model (from its GGUF metadata and file size). */
    public record ModelFacts(long weightBytes, int layers, int embedding, int kvHeads, int headDim, int vocabulary) {}

    /** What the operator asked for; null fields are for the planner to choose. */
    public record Request(Integer gpuLayers, Integer contextSize, int defaultContextSize, int slots, int microBatch, double kvBytesPerElement) {}

    /** The decision and the figures behind it. */
    public record Plan(int gpuLayers, int contextSize, long weightsOnGpu, long kvOnGpu, long computeBytes, long budget, String explanation) {}

    /** Memory kept free beyond the estimate, for the driver, fragmentation and what the estimate misses. */
    static final double MARGIN = 0.08;
    static final long MARGIN_MIN = 512L << 20;

    private FitPlanner() {
    }

    public static Plan plan(ModelFacts m, Request r, long freeBytes) {
        long budget = budget(freeBytes);
        long compute = computeBytes(m, r.microBatch());
        int ctx = r.contextSize() != null ? r.contextSize() : r.defaultContextSize();
        int allLayers = m.layers() + 1; // llama.cpp counts the output layer as one more
        if (r.gpuLayers() != null) {
            int layers = r.gpuLayers() < 0 || r.gpuLayers() > allLayers ? allLayers : r.gpuLayers();
            long need = weights(m, layers) + kv(m, ctx, layers, r.kvBytesPerElement()) + compute;
            if (need > budget) {
                throw new IllegalArgumentException(String.format(
                        "--n-gpu-layers %d does not fit: it needs %s (weights %s, KV cache %s for %d cells, compute %s), the GPU has %s free, %s usable after the margin",
                        r.gpuLayers(), gib(need), gib(weights(m, layers)), gib(kv(m, ctx, layers, r.kvBytesPerElement())), ctx, gib(compute),
                        gib(freeBytes), gib(budget)));
            }
            return plan(m, layers, ctx, compute, budget, r, "as asked");
        }
        if (fits(m, allLayers, ctx, compute, budget, r)) {
            return plan(m, allLayers, ctx, compute, budget, r, "everything fits on the GPU");
        }
        if (r.contextSize() == null) {
            int minimum = Math.max(512, r.slots() * 256);
            for (int c = ctx / 2; c >= minimum; c /= 2) {
                if (fits(m, allLayers, c, compute, budget, r)) {
                    return plan(m, allLayers, c, compute, budget, r, "the context was reduced from " + ctx + " so that every layer fits");
                }
            }
        }
        long perLayer = weights(m, 1) + kv(m, ctx, 1, r.kvBytesPerElement());
        int layers = (int) Math.max(0, Math.min(m.layers(), (budget - compute) / Math.max(1, perLayer)));
        return plan(m, layers, ctx, compute, budget, r, layers == 0 ? "nothing fits: the model runs on the CPU"
                : "only " + layers + " of " + m.layers() + " layers fit; the rest run on the CPU");
    }

    /**
     * The plan for a model that shares the GPU with a draft model (speculative decoding): the draft,
     * small and decoded once per drafted token, goes on the GPU whole with a KV cache of the target's
     * context, and the target is planned in what is left. A draft that does not fit whole is refused:
     * on the CPU it would draft slower than the target decodes on the GPU.
     */
    public static Plan plan(ModelFacts m, Request r, long freeBytes, ModelFacts draft) {
        int ctx = r.contextSize() != null ? r.contextSize() : r.defaultContextSize();
        long weights = weights(draft, draft.layers() + 1);
        long kv = kv(draft, ctx, draft.layers(), r.kvBytesPerElement());
        long compute = computeBytes(draft, r.microBatch());
        long need = weights + kv + compute;
        long budget = budget(freeBytes);
        if (need > budget) {
            throw new IllegalArgumentException(String.format(
                    "--model-draft does not fit on the GPU: it needs %s (weights %s, KV cache %s for %d cells, compute %s), the GPU has %s free, %s usable after the margin",
                    gib(need), gib(weights), gib(kv), ctx, gib(compute), gib(freeBytes), gib(budget)));
        }
        Plan p = plan(m, r, freeBytes - need);
        return new Plan(p.gpuLayers(), p.contextSize(), p.weightsOnGpu(), p.kvOnGpu(), p.computeBytes(), p.budget(),
                "the draft model takes " + gib(need) + " of " + gib(freeBytes) + " first; " + p.explanation());
    }

    /** What may be planned of {@code freeBytes}: all but the margin. */
    private static long budget(long freeBytes) {
        return (long) (freeBytes - Math.max(MARGIN_MIN, freeBytes * MARGIN));
    }

    private static boolean fits(ModelFacts m, int layers, int ctx, long compute, long budget, Request r) {
        return weights(m, layers) + kv(m, ctx, layers, r.kvBytesPerElement()) + compute <= budget;
    }

    private static Plan plan(ModelFacts m, int layers, int ctx, long compute, long budget, Request r, String why) {
        long w = weights(m, layers);
        long kv = kv(m, ctx, layers, r.kvBytesPerElement());
        String explanation = String.format("%s: %d of %d layers on the GPU, context %d; weights %s + KV cache %s + compute %s = %s of %s usable",
                why, layers, m.layers() + 1, ctx, gib(w), gib(kv), gib(compute), gib(w + kv + compute), gib(budget));
        return new Plan(layers, ctx, w, kv, compute, budget, explanation);
    }

    /** Weights of {@code layers} layers: the file's weights spread evenly over layers plus the output. */
    static long weights(ModelFacts m, int layers) {
        return m.weightBytes() * Math.min(layers, m.layers() + 1) / (m.layers() + 1);
    }

    /** K and V for {@code cells} positions of {@code layers} layers. */
    static long kv(ModelFacts m, int cells, int layers, double bytesPerElement) {
        int kvLayers = Math.min(layers, m.layers());
        return (long) ((double) cells * kvLayers * m.kvHeads() * m.headDim() * 2 * bytesPerElement);
    }

    /** Logits for a micro-batch plus activations: llama.cpp's compute buffer, roughly. */
    static long computeBytes(ModelFacts m, int microBatch) {
        return (long) microBatch * ((long) m.vocabulary() + 16L * m.embedding()) * 4 + (64L << 20);
    }

    static String gib(long bytes) {
        return String.format("%.2f GiB", bytes / 1073741824.0);
    }
}
