package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import java.util.Locale;

/** Element types the KV cache may use; quantized ones trade quality for memory. */
public enum KvCacheType {
    F16(Llama.GGML_TYPE_F16),
    Q8_0(Llama.GGML_TYPE_Q8_0),
    Q4_0(Llama.GGML_TYPE_Q4_0);

    final int ggmlType;

    KvCacheType(int ggmlType) {
        this.ggmlType = ggmlType;
    }

    /** Parses "f16", "q8_0", "q4_0" (any case). */
    public static KvCacheType parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown KV cache type '" + s + "': use f16, q8_0 or q4_0");
        }
    }
}
