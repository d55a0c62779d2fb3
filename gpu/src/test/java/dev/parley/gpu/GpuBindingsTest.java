package dev.parley.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindgen.BindGen;
import dev.parley.bindgen.LayoutProbe;
import dev.parley.bindgen.Spec;
import dev.parley.gpu.cuda.CudartStructs;
import dev.parley.gpu.cuda.cudaDeviceProp;
import dev.parley.gpu.nvml.NvmlStructs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CUDA runtime and NVML bindings: regenerated from their headers unchanged, and laid out as gcc lays them out. */
class GpuBindingsTest {

    private static final Path CUDA = Path.of(System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda"));

    private static Path root() {
        return Path.of(System.getProperty("parley.root"));
    }

    private static void assertNoDrift(String spec, Path sourceRoot) throws Exception {
        Spec s = Spec.parse(root().resolve(spec));
        Map<String, String> generated = BindGen.generate(s, sourceRoot, "castxml");
        Path dir = root().resolve("gpu/src/main/java").resolve(s.packageName().replace('.', '/'));
        for (Map.Entry<String, String> e : generated.entrySet()) {
            assertEquals(e.getValue(), Files.readString(dir.resolve(e.getKey())),
                    e.getKey() + " drifted from its header: run scripts/generate-gpu-bindings.sh");
        }
        try (var files = Files.list(dir)) {
            assertEquals(generated.size(), files.count(), "stale files in " + dir);
        }
    }

    @Test
    void cudaBindingsMatchTheToolkitHeaders() throws Exception {
        assertTrue(Files.isRegularFile(CUDA.resolve("include/cuda_runtime_api.h")),
                "CUDA 13 toolkit headers expected under " + CUDA + "/include (set CUDA_HOME)");
        assertNoDrift("gpu/bindgen/cudart.spec", CUDA);
    }

    @Test
    void nvmlBindingsMatchTheProjectHeader() throws Exception {
        assertNoDrift("gpu/bindgen/nvml.spec", root().resolve("gpu/bindgen"));
    }

    @Test
    void structLayoutsMatchTheCCompiler() throws Exception {
        assertEquals(List.of(), LayoutProbe.mismatches(List.of("cuda_runtime_api.h"), List.of(CUDA.resolve("include")), CudartStructs.ALL));
        assertEquals(List.of(), LayoutProbe.mismatches(List.of("nvml_subset.h"), List.of(root().resolve("gpu/bindgen")), NvmlStructs.ALL));
        assertEquals(1008, cudaDeviceProp.LAYOUT.byteSize(), "CUDA 13 cudaDeviceProp (castxml: 8064 bits)");
    }
}
