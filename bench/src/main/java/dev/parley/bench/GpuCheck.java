package dev.parley.bench;

import dev.parley.bindings.Backends;
import dev.parley.bindings.BackendDevice;
import dev.parley.bindings.NativeLibraries;
import dev.parley.gpu.GpuDiscovery;
import dev.parley.gpu.GpuSample;
import dev.parley.gpu.GpuTelemetry;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.testmodel.ModelShape;
import dev.parley.runtime.testmodel.TestModels;
import java.util.List;
import java.util.Map;

/**
 * The checks scripts/gpu-check.sh runs on a machine with an NVIDIA GPU: discovery finds the device,
 * NVML reports it, llama.cpp's CUDA backend loads, the tiny model runs fully offloaded with repeatable
 * greedy output. Exits non-zero on the first failure.
 */
public final class GpuCheck {

    private GpuCheck() {
    }

    public static void main(String[] args) throws Exception {
        GpuDiscovery.Report report = GpuDiscovery.discover();
        System.out.println("discovery: " + report.summary());
        check(report.hasDevice(), "a CUDA device is discovered");

        GpuTelemetry telemetry = GpuTelemetry.open();
        check(telemetry.available(), "NVML is available: " + telemetry.reason());
        for (GpuSample s : telemetry.sample()) {
            System.out.println("telemetry: " + s);
            check(s.memoryTotalBytes() > 0, "NVML reports memory of GPU " + s.index());
        }

        NativeLibraries.load(NativeLibraries.nativesDir("cuda"));
        List<BackendDevice> devices = Backends.devices();
        System.out.println("ggml devices: " + devices);
        check(devices.stream().anyMatch(d -> d.type() == BackendDevice.Type.GPU), "llama.cpp's CUDA backend is loaded");
        check(Backends.gpuOffloadAvailable(), "llama.cpp supports GPU offload");

        EngineConfig config = EngineConfig.defaults(TestModels.tinyQwen3()).withGpuLayers(-1).withSlots(4, 4096);
        try (Engine engine = Engine.start(config)) {
            Prompt chat = Prompt.Chat.of(List.of(Map.of("role", "user", "content", "Hello from the GPU check.")), null);
            String first = text(engine, chat);
            String second = text(engine, chat);
            System.out.println("greedy output: " + first.replace("\n", "\\n"));
            check(!first.isEmpty() && first.equals(second), "greedy generation on the GPU is repeatable");
        }
        System.out.println("GPU checks passed");
    }

    private static String text(Engine engine, Prompt p) throws InterruptedException {
        StringBuilder b = new StringBuilder();
        for (GenerationEvent e : engine.submit(GenerationRequest.greedy("gpu-check", p, 32)).drain(120_000)) {
            if (e instanceof GenerationEvent.Piece piece) {
                b.append(piece.raw());
            } else if (e instanceof GenerationEvent.Failed f) {
                throw new IllegalStateException("generation failed: " + f.message());
            }
        }
        return b.toString();
    }

    private static void check(boolean ok, String what) {
        System.out.println((ok ? "ok    " : "FAIL  ") + what);
        if (!ok) {
            System.exit(1);
        }
    }
}
