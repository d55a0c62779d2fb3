package dev.parley.runtime.template;

import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.PyList;
import com.hubspot.jinjava.objects.collections.PyMap;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Python's view of the values a template sees: str(), repr(), truth, type names. */
final class PyValues {

    private PyValues() {
    }

    /** Strips Jinjava's wrappers so values compare and print as the plain Java values they hold. */
    static Object unwrap(Object v) {
        return switch (v) {
            case SafeString s -> s.getValue();
            case PyMap m -> m.toMap();
            case PyList l -> l.toList();
            case com.hubspot.jinjava.interpret.NullValue n -> null;
            case null, default -> v;
        };
    }

    static Iterable<?> asIterable(Object v) {
        v = unwrap(v);
        return switch (v) {
            case Iterable<?> it -> it;
            case Object[] a -> Arrays.asList(a);
            case Iterator<?> it -> () -> (Iterator<Object>) it;
            case null, default -> null;
        };
    }

    static String typeName(Object v) {
        v = unwrap(v);
        return switch (v) {
            case PyTags.PyGenerator g -> "generator";
            case null -> "NoneType";
            case String s -> "str";
            case Boolean b -> "bool";
            case Double d -> "float";
            case Float f -> "float";
            case Number n -> "int";
            case Map<?, ?> m -> "dict";
            case List<?> l -> "list";
            default -> v.getClass().getSimpleName();
        };
    }

    /** Python's str(). */
    static String str(Object v) {
        v = unwrap(v);
        return switch (v) {
            case null -> "None";
            case String s -> s;
            case Boolean b -> b ? "True" : "False";
            case Double d -> floatRepr(d, false);
            case Float f -> floatRepr(f.doubleValue(), false);
            case BigDecimal d -> floatRepr(d.doubleValue(), false);
            case Map<?, ?> m -> repr(m);
            case List<?> l -> repr(l);
            default -> v.toString();
        };
    }

    /** Python's repr(). */
    static String repr(Object v) {
        v = unwrap(v);
        switch (v) {
            case String s -> {
                return stringRepr(s);
            }
            case Map<?, ?> m -> {
                StringBuilder b = new StringBuilder("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        b.append(", ");
                    }
                    first = false;
                    b.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                }
                return b.append('}').toString();
            }
            case List<?> l -> {
                StringBuilder b = new StringBuilder("[");
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        b.append(", ");
                    }
                    b.append(repr(l.get(i)));
                }
                return b.append(']').toString();
            }
            case null, default -> {
                return str(v);
            }
        }
    }

    static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder b = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == quote || c == '\\') {
                b.append('\\').append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(quote).toString();
    }

    /**
     * Python's float repr: the shortest digits that round-trip (as Java's), laid out as Python does
     * ("1e-05", "1e+16", "100.0"). In JSON (json.dumps) the layout is the same.
     */
    static String floatRepr(double d, boolean json) {
        if (Double.isNaN(d)) {
            return json ? "NaN" : "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? (json ? "Infinity" : "inf") : (json ? "-Infinity" : "-inf");
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = exact.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - exact.scale(); // position of the first digit
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        if (exponent < 0) {
            return sign + "0." + "0".repeat(-exponent - 1) + digits;
        }
        if (digits.length() <= exponent + 1) {
            return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        }
        return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }

    /** Python truthiness. */
    static boolean truthy(Object v) {
        v = unwrap(v);
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case String s -> !s.isEmpty();
            case Number n -> n.doubleValue() != 0;
            case Map<?, ?> m -> !m.isEmpty();
            case java.util.Collection<?> c -> !c.isEmpty();
            default -> true;
        };
    }
}
