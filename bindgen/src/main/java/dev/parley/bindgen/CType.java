package dev.parley.bindgen;

import java.util.List;

/** A C type as castxml describes it, reduced to what decides its Java layout. */
public sealed interface CType {

    /** How the type is spelled in C, for the comments of generated code. */
    String spelling();

    record Void() implements CType {
        @Override public String spelling() { return "void"; }
    }

    /** A scalar; {@code kind} is one of bool, byte, short, int, long, float, double. */
    record Scalar(String cName, String kind, long bytes) implements CType {
        @Override public String spelling() { return cName; }
    }

    record Pointer(CType target) implements CType {
        @Override public String spelling() { return target.spelling() + " *"; }
    }

    /** A typedef that is kept for its name; layout comes from {@code target}. */
    record Named(String name, CType target) implements CType {
        @Override public String spelling() { return name; }
    }

    record Const(CType target) implements CType {
        @Override public String spelling() { return "const " + target.spelling(); }
    }

    record Enum(String name, long bytes, List<EnumValue> values) implements CType {
        @Override public String spelling() { return "enum " + name; }
    }

    record EnumValue(String name, long value) {}

    /** A struct; {@code fields} is null for an incomplete (opaque) one. */
    record Struct(String name, long bytes, long align, List<Field> fields) implements CType {
        @Override public String spelling() { return "struct " + name; }
    }

    record Field(String name, CType type, long offsetBytes) {}

    record Array(CType element, long length) implements CType {
        @Override public String spelling() { return element.spelling() + "[" + length + "]"; }
    }

    record Function(CType returns, List<CType> params, boolean variadic) implements CType {
        @Override public String spelling() { return "function"; }
    }

    /** Follows typedefs and qualifiers to the type that decides the layout. */
    static CType canonical(CType t) {
        while (true) {
            switch (t) {
                case Named n -> t = n.target();
                case Const c -> t = c.target();
                default -> { return t; }
            }
        }
    }
}
