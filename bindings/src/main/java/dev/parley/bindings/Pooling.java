package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import java.util.Locale;

/**
 * How a context pools its per-token hidden states into one vector per sequence (llama.cpp's
 * {@code llama_pooling_type}). {@link #UNSPECIFIED} lets llama.cpp take the model's own
 * {@code <arch>.pooling_type}; {@link #NONE} means the model makes no sequence embedding.
 */
public enum Pooling {
    UNSPECIFIED(Llama.LLAMA_POOLING_TYPE_UNSPECIFIED),
    NONE(Llama.LLAMA_POOLING_TYPE_NONE),
    MEAN(Llama.LLAMA_POOLING_TYPE_MEAN),
    CLS(Llama.LLAMA_POOLING_TYPE_CLS),
    LAST(Llama.LLAMA_POOLING_TYPE_LAST),
    RANK(Llama.LLAMA_POOLING_TYPE_RANK);

    final int nativeValue;

    Pooling(int nativeValue) {
        this.nativeValue = nativeValue;
    }

    /** The value llama.cpp and GGUF metadata ({@code <arch>.pooling_type}) use for this type. */
    public int nativeValue() {
        return nativeValue;
    }

    public static Pooling ofNative(int value) {
        for (Pooling p : values()) {
            if (p.nativeValue == value) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown llama.cpp pooling type " + value);
    }

    /** A flag value: {@code mean}, {@code cls} or {@code last} (the types that give a sequence embedding). */
    public static Pooling parse(String name) {
        return switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
            case "mean" -> MEAN;
            case "cls" -> CLS;
            case "last" -> LAST;
            default -> throw new IllegalArgumentException("pooling must be mean, cls or last, got '" + name + "'");
        };
    }

    /** Whether a context with this pooling yields one vector per sequence. */
    public boolean pools() {
        return this == MEAN || this == CLS || this == LAST;
    }
}
