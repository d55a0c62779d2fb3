package dev.parley.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindgen.LayoutProbe;
import dev.parley.bindings.llama.LlamaStructs;
import dev.parley.bindings.llama.llama_batch;
import dev.parley.bindings.llama.llama_context_params;
import dev.parley.bindings.llama.llama_model_params;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every bound struct has the size, alignment and field offsets gcc gives it. */
class StructLayoutTest {

    @Test
    void layoutsMatchTheCCompiler() throws Exception {
        Path src = Pinned.llamaSource();
        List<String> problems = LayoutProbe.mismatches(List.of("llama.h", "ggml-backend.h"),
                List.of(src.resolve("include"), src.resolve("ggml/include")), LlamaStructs.ALL);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void theStructsThatMatterMostHaveTheirKnownSizes() {
        // Probed on this machine kind before the project started (x86-64 Linux, llama.cpp of node-llama-cpp 3.22.1).
        assertEquals(80, llama_model_params.LAYOUT.byteSize());
        assertEquals(160, llama_context_params.LAYOUT.byteSize());
        assertEquals(56, llama_batch.LAYOUT.byteSize());
        assertEquals(9, LlamaStructs.ALL.size(), "one layout per struct in llama.spec");
    }
}
