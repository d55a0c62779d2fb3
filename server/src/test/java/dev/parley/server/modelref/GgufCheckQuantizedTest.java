package dev.parley.server.modelref;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parley.bindings.ModelQuantizer;
import dev.parley.bindings.NativeLibraries;
import dev.parley.runtime.gguf.GgufWriter;
import dev.parley.runtime.testmodel.ModelShape;
import dev.parley.runtime.testmodel.TestModels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GgufCheck}'s tensor sizes against files llama.cpp's own quantizer wrote: each whole file passes, and the
 * same file one byte short is refused, so the block sizes it knows are neither too large nor too small.
 */
class GgufCheckQuantizedTest {

    /** 256 wide, so the k-quants quantize as k-quants instead of falling back for short rows. */
    static final ModelShape SHAPE = new ModelShape("gguf-check", "qwen3", "ggml-vocab-qwen2.gguf", "Qwen-Qwen3-0.6B.jinja",
            256, 1, 4, 2, 64, 256, 512, GgufWriter.TensorType.F16, 7, null);

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = ModelQuantizer.Type.class, names = {"Q8_0", "Q4_K_M", "Q5_K_M"})
    void wholeQuantizedFilesPassAndOneByteShortFails(ModelQuantizer.Type type) throws Exception {
        NativeLibraries.load(NativeLibraries.nativesDir("cpu"));
        Path model = TestModels.ensure(SHAPE.withQuantization(type));
        GgufCheck.verify(model);
        Path cut = dir.resolve("cut.gguf");
        Files.copy(model, cut);
        try (FileChannel ch = FileChannel.open(cut, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1);
        }
        String msg = assertThrows(ModelReferenceException.class, () -> GgufCheck.verify(cut)).getMessage();
        assertTrue(msg.contains("truncated"), msg);
    }
}
