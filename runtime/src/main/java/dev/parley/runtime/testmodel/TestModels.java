package dev.parley.runtime.testmodel;

import dev.parley.bindings.ModelQuantizer;
import dev.parley.bindings.NativeLibraries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Generated models in the cache: made on first use, named by a fingerprint of their shape. */
public final class TestModels {

    /** Bump when the writer's output changes for the same shape. */
    private static final int WRITER_VERSION = 3;

    private TestModels() {
    }

    /** The tiny Qwen3 model the tests use. */
    public static Path tinyQwen3() {
        return ensure(ModelShape.TINY_QWEN3);
    }

    /** The tiny Qwen3-shaped embedding model (last-token pooling). */
    public static Path tinyQwen3Embedding() {
        return ensure(ModelShape.TINY_QWEN3_EMBEDDING);
    }

    /** The model file for {@code shape}, generating it into the cache if it is not there yet. */
    public static Path ensure(ModelShape shape) {
        Path dir = NativeLibraries.cacheRoot().resolve("models");
        Path target = dir.resolve(shape.name() + "-" + fingerprint(shape) + ".gguf");
        if (Files.isRegularFile(target)) {
            return target;
        }
        try {
            Files.createDirectories(dir);
            generate(shape, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot generate model " + shape.name() + " into " + target + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code shape} to {@code target} (atomically: a reader never sees half a file). */
    public static void generate(ModelShape shape, Path target) throws IOException {
        Path source = NativeLibraries.llamaCacheDir().resolve("src");
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, shape.name(), ".part");
        try {
            if (shape.quantization() == null) {
                TestModelWriter.write(shape, source, tmp);
            } else {
                Path f16 = Files.createTempFile(dir, shape.name(), ".f16.part");
                try {
                    TestModelWriter.write(shape, source, f16);
                    ModelQuantizer.quantize(f16, tmp, shape.quantization(), Math.max(1, Runtime.getRuntime().availableProcessors()));
                } finally {
                    Files.deleteIfExists(f16);
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String fingerprint(ModelShape shape) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            // a shape prints as it did before poolingType and blockOutputScale existed, so its cached file stays valid
            String described = shape.toString().replace(", blockOutputScale=1.0]", "]").replace(", poolingType=null]", "]");
            md.update((WRITER_VERSION + "|" + NativeLibraries.pinnedVersion() + "|" + described).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
