package dev.parley.server.modelref;

import dev.parley.runtime.gguf.GgufValue;
import dev.parley.runtime.gguf.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small real GGUF files for the resolver tests (one f32 tensor; the name makes each file's bytes differ). */
final class Ggufs {

    private Ggufs() {
    }

    static byte[] bytes(String name) {
        return bytes(name, 64);
    }

    /** A GGUF with one {@code side} x {@code side} f32 tensor (4 side² bytes of data). */
    static byte[] bytes(String name, int side) {
        try {
            Path tmp = Files.createTempFile("parley-gguf", ".gguf");
            try {
                new GgufWriter().put("general.architecture", GgufValue.string("test")).put("general.name", GgufValue.string(name))
                        .add(new GgufWriter.Tensor("weights", new long[] {side, side}, GgufWriter.TensorType.F32, (out, n) -> {
                            for (int i = 0; i < n; i++) {
                                out[i] = i * 0.5f;
                            }
                        }))
                        .write(tmp);
                return Files.readAllBytes(tmp);
            } finally {
                Files.delete(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
