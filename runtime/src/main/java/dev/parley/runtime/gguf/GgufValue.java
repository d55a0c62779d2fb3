package dev.parley.runtime.gguf;

import java.util.List;

/**
 * A metadata value of a GGUF file. Scalars hold boxed Java numbers (unsigned types keep their bits in
 * the signed Java type of the same width), strings hold {@link String}, arrays a list of those.
 */
public record GgufValue(Type type, Type elementType, Object value) {

    /** GGUF value types, by their on-disk codes. */
    public enum Type {
        UINT8(0), INT8(1), UINT16(2), INT16(3), UINT32(4), INT32(5), FLOAT32(6), BOOL(7), STRING(8), ARRAY(9),
        UINT64(10), INT64(11), FLOAT64(12);

        public final int code;

        Type(int code) {
            this.code = code;
        }

        public static Type of(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown GGUF value type " + code);
        }
    }

    public static GgufValue string(String s) {
        return new GgufValue(Type.STRING, null, s);
    }

    public static GgufValue uint32(int v) {
        return new GgufValue(Type.UINT32, null, v);
    }

    public static GgufValue float32(float v) {
        return new GgufValue(Type.FLOAT32, null, v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(Type.BOOL, null, v);
    }

    public static GgufValue array(Type elementType, List<?> values) {
        return new GgufValue(Type.ARRAY, elementType, List.copyOf(values));
    }

    @SuppressWarnings("unchecked")
    public <T> List<T> list() {
        if (type != Type.ARRAY) {
            throw new IllegalStateException("not an array: " + type);
        }
        return (List<T>) value;
    }
}
