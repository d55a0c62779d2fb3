package dev.parley.bindings;

/**
 * How to load a model.
 *
 * @param gpuLayers layers to offload; negative means all of them, 0 keeps the model on the CPU
 * @param mmap memory-map the file rather than reading it into allocated memory
 * @param vocabOnly load only the vocabulary (no weights): for tokenizer work
 */
public record ModelOptions(int gpuLayers, boolean mmap, boolean vocabOnly) {

    public static ModelOptions cpu() {
        return new ModelOptions(0, true, false);
    }

    public ModelOptions withGpuLayers(int layers) {
        return new ModelOptions(layers, mmap, vocabOnly);
    }
}
