package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import dev.parley.bindings.llama.llama_model_quantize_params;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Quantizes a GGUF file with llama.cpp's own quantizer. */
public final class ModelQuantizer {

    /** The llama_ftype values Parley offers. */
    public enum Type {
        F16(Llama.LLAMA_FTYPE_MOSTLY_F16),
        Q8_0(Llama.LLAMA_FTYPE_MOSTLY_Q8_0),
        Q4_0(Llama.LLAMA_FTYPE_MOSTLY_Q4_0),
        Q4_K_M(Llama.LLAMA_FTYPE_MOSTLY_Q4_K_M),
        Q5_K_M(Llama.LLAMA_FTYPE_MOSTLY_Q5_K_M),
        Q6_K(Llama.LLAMA_FTYPE_MOSTLY_Q6_K);

        final int ftype;

        Type(int ftype) {
            this.ftype = ftype;
        }

        public static Type parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown quantization '" + s + "': use one of " + List.of(values()));
            }
        }
    }

    private ModelQuantizer() {
    }

    public static void quantize(Path input, Path output, Type type, int threads) {
        NativeLibraries.llama();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.llama_model_quantize_default_params(arena);
            llama_model_quantize_params.ftype(params, type.ftype);
            llama_model_quantize_params.nthread(params, threads);
            NativeLog.beginCapture();
            int rc;
            List<String> errors;
            try {
                rc = Llama.llama_model_quantize(arena.allocateFrom(input.toString()), arena.allocateFrom(output.toString()), params);
            } finally {
                errors = NativeLog.endCapture();
            }
            if (rc != 0) {
                throw new NativeCallException("quantizing " + input + " to " + type + " failed: " + String.join("; ", errors));
            }
        }
    }
}
