package dev.parley.server.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.modelref.ModelReference;
import dev.parley.server.modelref.ModelReferenceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCatalogTest {

    @TempDir
    Path dir;

    @Test
    void namedFlagsThenDirectoryFilesThenAliases() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/Qwen3-0.6B-Q8_0.gguf"), "x");
        Files.writeString(dir.resolve("big-00001-of-00002.gguf"), "x");
        Files.writeString(dir.resolve("big-00002-of-00002.gguf"), "x");
        Files.writeString(dir.resolve("notes.txt"), "x");
        Files.writeString(dir.resolve(ModelCatalog.ALIAS_FILE), "# names users type\nqwen = sub/Qwen3-0.6B-Q8_0.gguf\ngemma = hf:ggml-org/gemma-3-1b-it-GGUF:Q4_K_M\n");
        ModelCatalog c = ModelCatalog.of(List.of("chat=" + dir.resolve("sub/Qwen3-0.6B-Q8_0.gguf"), "hf:org/repo:Q4_K_M"), dir);
        assertEquals(List.of("chat", "hf:org/repo:Q4_K_M", "big", "Qwen3-0.6B-Q8_0", "gemma", "qwen"), c.names());
        assertEquals("chat", c.defaultName());
        assertEquals(new ModelReference.LocalFile(dir.resolve("sub/Qwen3-0.6B-Q8_0.gguf")), c.reference("qwen"));
        assertEquals(new ModelReference.LocalFile(dir.resolve("big-00001-of-00002.gguf")), c.reference("big"));
        assertTrue(c.reference("gemma") instanceof ModelReference.HubQuant);
    }

    @Test
    void aBareFileIsNamedByItsStem() {
        assertEquals(List.of("tiny"), ModelCatalog.of(List.of("/models/tiny.gguf"), null).names());
    }

    @Test
    void aNameTakenTwiceForTwoModelsIsAnError() {
        var e = assertThrows(ModelReferenceException.class, () -> ModelCatalog.of(List.of("m=/a.gguf", "m=/b.gguf"), null));
        assertTrue(e.getMessage().contains("'m' is already /a.gguf"), e.getMessage());
    }

    @Test
    void aMissingDirectoryIsAnError() {
        var e = assertThrows(ModelReferenceException.class, () -> ModelCatalog.of(List.of(), dir.resolve("none")));
        assertTrue(e.getMessage().startsWith("--models-dir: no such directory"), e.getMessage());
    }
}
