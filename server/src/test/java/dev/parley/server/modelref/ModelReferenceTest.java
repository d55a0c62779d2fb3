package dev.parley.server.modelref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelReferenceTest {

    @TempDir
    Path dir;

    @Test
    void hubFormsParse() {
        assertEquals(new ModelReference.HubQuant("ggml-org/gemma-3-1b-it-GGUF", "Q4_K_M", "main"), ModelReference.parse("hf:ggml-org/gemma-3-1b-it-GGUF:Q4_K_M"));
        assertEquals(new ModelReference.HubQuant("ggml-org/gemma-3-1b-it-GGUF", null, "main"), ModelReference.parse("hf:ggml-org/gemma-3-1b-it-GGUF"));
        assertEquals(new ModelReference.HubQuant("Qwen/Qwen3-0.6B-GGUF", "q8_0", "main"), ModelReference.parse("Qwen/Qwen3-0.6B-GGUF:q8_0"));
        assertEquals(new ModelReference.HubQuant("unsloth/Qwen3-8B-GGUF", "IQ4_XS", "main"), ModelReference.parse("hf.co/unsloth/Qwen3-8B-GGUF:IQ4_XS"));
        assertEquals(new ModelReference.HubQuant("unsloth/Qwen3-8B-GGUF", null, "v1.0"), ModelReference.parse("hf.co/unsloth/Qwen3-8B-GGUF@v1.0"));
        assertEquals(new ModelReference.HubFile("org/repo", "sub/model-Q4_K_M-00001-of-00002.gguf", "main"),
                ModelReference.parse("hf:org/repo/sub/model-Q4_K_M-00001-of-00002.gguf"));
    }

    @Test
    void ollamaAndLocalFormsParse() {
        assertEquals(new ModelReference.OllamaModel("registry.ollama.ai", "library", "qwen3", "0.6b"), ModelReference.parse("ollama:qwen3:0.6b"));
        assertEquals(new ModelReference.OllamaModel("registry.ollama.ai", "library", "qwen3", "latest"), ModelReference.parse("ollama:qwen3"));
        assertEquals(new ModelReference.OllamaModel("registry.ollama.ai", "someone", "tiny", "q4"), ModelReference.parse("ollama:someone/tiny:q4"));
        assertEquals(new ModelReference.OllamaModel("hf.co", "bartowski", "Llama-3.2-1B-Instruct-GGUF", "Q4_K_M"),
                ModelReference.parse("ollama:hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"));
        assertEquals(new ModelReference.LocalFile(Path.of("models/x.gguf")), ModelReference.parse("models/x.gguf"));
        // a plain ORG/REPO with no quant is a relative path, as before: only the quant marks llama-server's -hf form
        assertInstanceOf(ModelReference.LocalFile.class, ModelReference.parse("org/repo"));
    }

    @Test
    void malformedReferencesSayWhatIsWrong() {
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse("hf:justone")).getMessage().contains("ORG/REPO"));
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse("hf:org/re po:Q4")).getMessage().contains("not a Hugging Face repo id"));
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse("hf:org/repo:Q4 K")).getMessage().contains("bad quant"));
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse("hf:org/repo/README.md")).getMessage().contains(".gguf"));
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse("hf:org/repo/../x.gguf")).getMessage().contains("bad file path"));
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse("ollama:")).getMessage().contains("ollama:NAME"));
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse("ollama:a/b/c/d")).getMessage().contains("ollama:NAME"));
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse("ollama:nohost/b/c")).getMessage().contains("ollama:NAME"));
        assertTrue(assertThrows(ModelReferenceException.class, () -> ModelReference.parse(" ")).getMessage().contains("hf:ORG/REPO"));
    }

    @Test
    void theCacheIsWhereLlamaCppAndTheHubToolsLook() {
        Path home = Path.of(System.getProperty("user.home"));
        assertEquals(home.resolve(".cache/huggingface/hub"), ModelSources.from(java.util.Map.of()).hubCache());
        assertEquals(Path.of("/x/huggingface/hub"), ModelSources.from(java.util.Map.of("XDG_CACHE_HOME", "/x")).hubCache());
        assertEquals(Path.of("/h/hub"), ModelSources.from(java.util.Map.of("XDG_CACHE_HOME", "/x", "HF_HOME", "/h")).hubCache());
        assertEquals(Path.of("/c"), ModelSources.from(java.util.Map.of("HF_HOME", "/h", "HF_HUB_CACHE", "/c")).hubCache());
        assertEquals(Path.of("/l"), ModelSources.from(java.util.Map.of("HF_HUB_CACHE", "/c", "LLAMA_CACHE", "/l")).hubCache());
        assertEquals(home.resolve(".ollama/models"), ModelSources.from(java.util.Map.of()).ollamaModels());
        assertEquals("https://hf-mirror.example", ModelSources.from(java.util.Map.of("HF_ENDPOINT", "https://hf-mirror.example/")).endpoint().toString());
        assertTrue(ModelSources.from(java.util.Map.of("HF_HUB_OFFLINE", "1")).offline());
        assertTrue(!ModelSources.from(java.util.Map.of("HF_HUB_OFFLINE", "0")).offline());
        assertEquals("hf_abc", ModelSources.from(java.util.Map.of("HF_TOKEN", " hf_abc ")).token());
    }

    @Test
    void splitModelNeedsEveryPart() throws Exception {
        for (int i = 1; i <= 3; i++) {
            Files.write(dir.resolve(String.format("m-Q4_K_M-%05d-of-00003.gguf", i)), Ggufs.bytes("part" + i));
        }
        List<Path> parts = SplitGguf.parts(dir.resolve("m-Q4_K_M-00002-of-00003.gguf"));
        assertEquals(3, parts.size());
        assertEquals("m-Q4_K_M-00001-of-00003.gguf", parts.getFirst().getFileName().toString());
        assertEquals("Q4_K_M", SplitGguf.of("m-Q4_K_M-00002-of-00003.gguf").quant());
        Files.delete(dir.resolve("m-Q4_K_M-00003-of-00003.gguf"));
        String msg = assertThrows(ModelReferenceException.class, () -> SplitGguf.parts(dir.resolve("m-Q4_K_M-00001-of-00003.gguf"))).getMessage();
        assertTrue(msg.contains("missing: m-Q4_K_M-00003-of-00003.gguf"), msg);
    }

    @Test
    void nonGgufAndTruncatedFilesAreRefused() throws Exception {
        Path good = dir.resolve("good.gguf");
        byte[] bytes = Ggufs.bytes("good");
        Files.write(good, bytes);
        GgufCheck.verify(good);
        Path text = dir.resolve("text.gguf");
        Files.writeString(text, "<html>not a model</html>");
        assertTrue(assertThrows(ModelReferenceException.class, () -> GgufCheck.verify(text)).getMessage().contains("not a GGUF file"));
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 100));
        assertTrue(assertThrows(ModelReferenceException.class, () -> GgufCheck.verify(cut)).getMessage().contains("truncated"));
        Path header = dir.resolve("header.gguf");
        Files.write(header, Arrays.copyOf(bytes, 40));
        assertTrue(assertThrows(ModelReferenceException.class, () -> GgufCheck.verify(header)).getMessage().contains("truncated"));
    }
}
