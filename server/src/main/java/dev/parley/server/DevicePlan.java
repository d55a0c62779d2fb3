package dev.parley.server;

import dev.parley.bindings.KvCacheType;
import dev.parley.bindings.NativeLibraries;
import dev.parley.gpu.FitPlanner;
import dev.parley.gpu.GpuDevice;
import dev.parley.gpu.GpuDiscovery;
import dev.parley.gpu.GpuLibraries;
import dev.parley.runtime.gguf.GgufFile;
import dev.parley.runtime.gguf.GgufValue;
import dev.parley.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where the model runs: CUDA or CPU, which llama.cpp natives to load, how many layers to offload and
 * with what context. Decided before anything native is loaded, from discovery, the NVIDIA libraries
 * present, and the model's GGUF metadata.
 */
record DevicePlan(String device, Path nativesDir, Integer gpuLayers, int contextSize, int gpuIndex, String explanation) {

    private static final System.Logger LOG = System.getLogger("parley");

    static DevicePlan decide(ServerConfig config, Path model, GpuDiscovery.Report gpus) {
        String device = config.device();
        if (device.equals("cpu")) {
            return cpu(config, "--device cpu");
        }
        List<String> missing = new ArrayList<>();
        for (String lib : List.of(GpuLibraries.CUDART, GpuLibraries.CUBLAS, GpuLibraries.DRIVER)) {
            if (!GpuLibraries.available(lib)) {
                missing.add(lib);
            }
        }
        Path cudaNatives = NativeLibraries.nativesDir("cuda");
        String problem = !missing.isEmpty() ? "missing " + String.join(", ", missing) + " (the CUDA 13 runtime, cuBLAS and the NVIDIA driver)"
                : !gpus.hasDevice() ? gpus.reason()
                : !Files.isDirectory(cudaNatives) ? "the CUDA build of llama.cpp is not in " + cudaNatives + ": run ./parley fetch-natives --cuda (or build it here: ./parley build-natives --cuda)"
                : null;
        if (problem != null) {
            if (device.equals("cuda")) {
                throw new IllegalArgumentException("--device cuda: " + problem);
            }
            return cpu(config, "no usable CUDA device (" + problem + ")");
        }
        GpuDevice gpu = gpus.devices().getFirst();
        if (config.gpuLayers() != null && config.gpuLayers() == 0) {
            return new DevicePlan("cuda", cudaNatives, 0, config.contextSize(), gpu.index(), "--n-gpu-layers 0: weights stay on the CPU");
        }
        FitPlanner.Request request = new FitPlanner.Request(config.gpuLayers(), config.contextSizeSet() ? config.contextSize() : null,
                config.contextSize(), config.slots(), config.microBatchSize(), kvBytes(config.kvCacheType()));
        Path draft = config.speculation().draftModel(); // resolved to its file by ServerConfig.withModelDraft before this
        FitPlanner.Plan plan = draft == null ? FitPlanner.plan(facts(model), request, gpu.freeBytes())
                : FitPlanner.plan(facts(model), request, gpu.freeBytes(), facts(draft));
        return new DevicePlan("cuda", cudaNatives, plan.gpuLayers(), plan.contextSize(), gpu.index(),
                "CUDA device " + gpu.index() + " (" + gpu.name() + "): " + plan.explanation());
    }

    private static DevicePlan cpu(ServerConfig config, String why) {
        return new DevicePlan("cpu", NativeLibraries.nativesDir("cpu"), 0, config.contextSize(), -1, "serving on the CPU: " + why);
    }

    static double kvBytes(KvCacheType t) {
        return switch (t) {
            case F16 -> 2.0;
            case Q8_0 -> 34.0 / 32;
            case Q4_0 -> 18.0 / 32;
        };
    }

    /** The planner's facts from the GGUF metadata, read in Java before llama.cpp loads anything. */
    static FitPlanner.ModelFacts facts(Path model) {
        try {
            Map<String, GgufValue> meta = GgufFile.read(model).metadata();
            String arch = string(meta, "general.architecture");
            int layers = integer(meta, arch + ".block_count", 0);
            int embd = integer(meta, arch + ".embedding_length", 0);
            int heads = integer(meta, arch + ".attention.head_count", 1);
            int kvHeads = integer(meta, arch + ".attention.head_count_kv", heads);
            int headDim = integer(meta, arch + ".attention.key_length", heads == 0 ? 0 : embd / heads);
            GgufValue tokens = meta.get("tokenizer.ggml.tokens");
            int vocab = tokens == null ? 32000 : tokens.list().size();
            // a split model's weights are all its parts
            return new FitPlanner.ModelFacts(dev.parley.server.modelref.SplitGguf.totalSize(model), layers, embd, kvHeads, headDim, vocab);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model metadata from " + model + ": " + e.getMessage());
        }
    }

    private static String string(Map<String, GgufValue> meta, String key) {
        GgufValue v = meta.get(key);
        return v == null ? "" : String.valueOf(v.value());
    }

    private static int integer(Map<String, GgufValue> meta, String key, int dflt) {
        GgufValue v = meta.get(key);
        return v != null && v.value() instanceof Number n ? n.intValue() : dflt;
    }

    void log() {
        LOG.log(System.Logger.Level.INFO, explanation);
    }
}
