package dev.parley.runtime.template;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}, the
 * way transformers' {@code tojson} filter calls it: ", " and ": " between items without indent, ","
 * and ": " with it, non-ASCII kept as is.
 */
final class PyJson {

    private PyJson() {
    }

    static String dumps(Object value, Integer indent, String itemSeparator, String keySeparator, boolean sortKeys, boolean ensureAscii) {
        String item = itemSeparator != null ? itemSeparator : indent == null ? ", " : ",";
        String key = keySeparator != null ? keySeparator : ": ";
        StringBuilder out = new StringBuilder();
        write(out, value, indent, item, key, sortKeys, 0, ensureAscii);
        return out.toString();
    }

    private static void write(StringBuilder out, Object v, Integer indent, String item, String key, boolean sort, int depth, boolean ascii) {
        v = PyValues.unwrap(v);
        switch (v) {
            case PyTags.PyGenerator g -> throw PythonJinja.raise("TypeError: Object of type generator is not JSON serializable");
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case String s -> string(out, s, ascii);
            case Character c -> string(out, c.toString(), ascii);
            case Double d -> out.append(PyValues.floatRepr(d, true));
            case Float f -> out.append(PyValues.floatRepr(f.doubleValue(), true));
            case BigDecimal d -> out.append(PyValues.floatRepr(d.doubleValue(), true));
            case Number n -> out.append(n instanceof BigInteger ? n.toString() : Long.toString(n.longValue()));
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    out.append("{}");
                    return;
                }
                List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
                if (sort) {
                    entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
                }
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : entries) {
                    if (!first) {
                        out.append(item);
                    }
                    first = false;
                    newline(out, indent, depth + 1);
                    Object k = PyValues.unwrap(e.getKey());
                    string(out, k instanceof String s ? s : PyValues.str(k), ascii);
                    out.append(key);
                    write(out, e.getValue(), indent, item, key, sort, depth + 1, ascii);
                }
                newline(out, indent, depth);
                out.append('}');
            }
            default -> {
                Iterable<?> items = PyValues.asIterable(v);
                if (items == null) {
                    throw new IllegalArgumentException("Object of type " + PyValues.typeName(v) + " is not JSON serializable");
                }
                List<Object> list = new ArrayList<>();
                items.forEach(list::add);
                if (list.isEmpty()) {
                    out.append("[]");
                    return;
                }
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(item);
                    }
                    newline(out, indent, depth + 1);
                    write(out, list.get(i), indent, item, key, sort, depth + 1, ascii);
                }
                newline(out, indent, depth);
                out.append(']');
            }
        }
    }

    private static void newline(StringBuilder out, Integer indent, int depth) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }

    static void string(StringBuilder out, String s, boolean ascii) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || ascii && c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
