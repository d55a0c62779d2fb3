package dev.parley.bindings;

/**
 * How to load a model.
 *
 * @param gpuLayers layers to offload; negative means all of them, 0 keeps the model on the CPU
 * @param mmap memory-map the file rather than reading it into allocated memory
 * @param vocabOnly load only the vocabulary (no weights): for tokenizer work
 * @param repack let ggml repack CPU weights into faster layouts (llama.cpp's extra buffer types)
 */
public record ModelOptions(int gpuLayers, boolean mmap, boolean vocabOnly, boolean repack) {

    public static ModelOptions cpu() {
        return new ModelOptions(0, true, false, true);
    }

    public ModelOptions withGpuLayers(int layers) {
        return new ModelOptions(layers, mmap, vocabOnly, repack);
    }

    /** Whether ggml may repack CPU weights into faster layouts (its "extra buffer types", AMX among them). */
    public ModelOptions withRepack(boolean on) {
        return new ModelOptions(gpuLayers, mmap, vocabOnly, on);
    }
}
