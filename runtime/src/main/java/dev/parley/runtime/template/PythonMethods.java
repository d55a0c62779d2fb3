package dev.parley.runtime.template;

import com.hubspot.jinjava.el.ext.NamedParameter;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's methods on str, dict and list, ahead of Jinjava's Java-bean resolution: Java's
 * {@code String.split} takes a regex and drops trailing empties, and {@code strip}, {@code startswith},
 * {@code items()} and friends do not exist at all. Mutating methods are refused as jinja2's
 * ImmutableSandboxedEnvironment refuses them.
 */
final class PythonMethods extends ELResolver {

    private static final Set<String> LIST_MUTATORS = Set.of("append", "extend", "insert", "pop", "remove", "sort", "reverse", "clear");
    private static final Set<String> DICT_MUTATORS = Set.of("update", "pop", "popitem", "setdefault", "clear");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) {
            return null;
        }
        Object self = PyValues.unwrap(base);
        String name = method.toString();
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        if (params != null) {
            for (Object p : params) {
                if (p instanceof NamedParameter np) {
                    kwargs.put(np.getName(), PyValues.unwrap(np.getValue()));
                } else {
                    args.add(PyValues.unwrap(p));
                }
            }
        }
        Object result;
        switch (self) {
            case String s -> result = stringMethod(s, name, args, kwargs);
            case Map<?, ?> m -> {
                if (DICT_MUTATORS.contains(name)) {
                    throw PythonJinja.raise("SecurityError: access to attribute '" + name + "' of 'dict' object is unsafe.");
                }
                result = dictMethod(m, name, args);
            }
            case List<?> l -> {
                if (LIST_MUTATORS.contains(name)) {
                    throw PythonJinja.raise("SecurityError: access to attribute '" + name + "' of 'list' object is unsafe.");
                }
                result = listMethod(l, name, args);
            }
            default -> {
                return null;
            }
        }
        if (result == NOT_FOUND) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_FOUND = new Object();

    private static Object dictMethod(Map<?, ?> m, String name, List<Object> args) {
        return switch (name) {
            case "items" -> {
                List<Object> items = new ArrayList<>();
                m.forEach((k, v) -> items.add(List.of(k, v == null ? NullValue.NONE : v)));
                yield unNull(items);
            }
            case "keys" -> new ArrayList<>(m.keySet());
            case "values" -> new ArrayList<>(m.values());
            case "get" -> {
                Object key = args.isEmpty() ? null : args.getFirst();
                yield m.containsKey(key) ? m.get(key) : args.size() > 1 ? args.get(1) : null;
            }
            case "copy" -> new LinkedHashMap<>(m);
            default -> NOT_FOUND;
        };
    }

    /** List.of refuses nulls; items() pairs hold None values as a marker turned back into null. */
    private enum NullValue { NONE }

    private static List<Object> unNull(List<Object> items) {
        List<Object> out = new ArrayList<>(items.size());
        for (Object pair : items) {
            List<?> p = (List<?>) pair;
            List<Object> copy = new ArrayList<>(2);
            copy.add(p.get(0));
            copy.add(p.get(1) == NullValue.NONE ? null : p.get(1));
            out.add(copy);
        }
        return out;
    }

    private static Object listMethod(List<?> l, String name, List<Object> args) {
        return switch (name) {
            case "index" -> {
                for (int i = 0; i < l.size(); i++) {
                    if (PyOps.equal(l.get(i), args.getFirst())) {
                        yield (long) i;
                    }
                }
                throw PythonJinja.raise("ValueError: " + PyValues.repr(args.getFirst()) + " is not in list");
            }
            case "count" -> l.stream().filter(x -> PyOps.equal(x, args.getFirst())).count();
            case "copy" -> new ArrayList<>(l);
            default -> NOT_FOUND;
        };
    }

    private static Object stringMethod(String s, String name, List<Object> args, Map<String, Object> kwargs) {
        Object a0 = args.isEmpty() ? null : args.getFirst();
        return switch (name) {
            case "strip" -> strip(s, a0, true, true);
            case "lstrip" -> strip(s, a0, true, false);
            case "rstrip" -> strip(s, a0, false, true);
            case "startswith" -> affix(s, a0, true);
            case "endswith" -> affix(s, a0, false);
            case "split" -> split(s, a0 != null ? a0 : kwargs.get("sep"), intArg(args, 1, kwargs.get("maxsplit"), -1));
            case "rsplit" -> rsplit(s, a0 != null ? a0 : kwargs.get("sep"), intArg(args, 1, kwargs.get("maxsplit"), -1));
            case "splitlines" -> splitlines(s);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> replace(s, PyValues.str(a0), PyValues.str(args.get(1)), intArg(args, 2, null, -1));
            case "find" -> (long) s.indexOf(PyValues.str(a0));
            case "rfind" -> (long) s.lastIndexOf(PyValues.str(a0));
            case "index" -> {
                int i = s.indexOf(PyValues.str(a0));
                if (i < 0) {
                    throw PythonJinja.raise("ValueError: substring not found");
                }
                yield (long) i;
            }
            case "count" -> (long) countOf(s, PyValues.str(a0));
            case "join" -> {
                StringBuilder b = new StringBuilder();
                Iterable<?> items = PyValues.asIterable(a0);
                boolean first = true;
                for (Object item : items == null ? List.of() : items) {
                    if (!first) {
                        b.append(s);
                    }
                    first = false;
                    b.append(PyValues.str(item));
                }
                yield b.toString();
            }
            case "format" -> format(s, args, kwargs);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isdigit", "isnumeric", "isdecimal" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.codePoints().allMatch(Character::isWhitespace);
            case "isupper" -> s.codePoints().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
            case "islower" -> s.codePoints().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
            case "removeprefix" -> s.startsWith(PyValues.str(a0)) ? s.substring(PyValues.str(a0).length()) : s;
            case "removesuffix" -> s.endsWith(PyValues.str(a0)) && !PyValues.str(a0).isEmpty() ? s.substring(0, s.length() - PyValues.str(a0).length()) : s;
            case "center" -> pad(s, intArg(args, 0, null, 0), a0, true, true);
            case "ljust" -> pad(s, intArg(args, 0, null, 0), null, false, true);
            case "rjust" -> pad(s, intArg(args, 0, null, 0), null, true, false);
            case "zfill" -> s.length() >= intArg(args, 0, null, 0) ? s : "0".repeat(intArg(args, 0, null, 0) - s.length()) + s;
            case "partition" -> {
                String sep = PyValues.str(a0);
                int i = s.indexOf(sep);
                yield i < 0 ? List.of(s, "", "") : List.of(s.substring(0, i), sep, s.substring(i + sep.length()));
            }
            case "rpartition" -> {
                String sep = PyValues.str(a0);
                int i = s.lastIndexOf(sep);
                yield i < 0 ? List.of("", "", s) : List.of(s.substring(0, i), sep, s.substring(i + sep.length()));
            }
            default -> NOT_FOUND;
        };
    }

    private static int intArg(List<Object> args, int i, Object fallback, int dflt) {
        Object v = i < args.size() ? args.get(i) : fallback;
        return v instanceof Number n ? n.intValue() : dflt;
    }

    static String strip(String s, Object chars, boolean left, boolean right) {
        String set = chars == null ? null : PyValues.str(chars);
        int start = 0, end = s.length();
        while (left && start < end && (set == null ? isPySpace(s.charAt(start)) : set.indexOf(s.charAt(start)) >= 0)) {
            start++;
        }
        while (right && end > start && (set == null ? isPySpace(s.charAt(end - 1)) : set.indexOf(s.charAt(end - 1)) >= 0)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isPySpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u001c' || c == '\u001d' || c == '\u001e' || c == '\u001f' || c == '\u0085';
    }

    private static boolean affix(String s, Object arg, boolean prefix) {
        Iterable<?> options = arg instanceof String ? null : PyValues.asIterable(arg);
        if (options != null) {
            for (Object o : options) {
                if (prefix ? s.startsWith(PyValues.str(o)) : s.endsWith(PyValues.str(o))) {
                    return true;
                }
            }
            return false;
        }
        String a = PyValues.str(arg);
        return prefix ? s.startsWith(a) : s.endsWith(a);
    }

    /** Python's str.split: a literal separator, trailing empties kept; no separator splits on whitespace runs. */
    static List<Object> split(String s, Object sepArg, int maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sepArg == null) {
            int i = 0, n = s.length();
            while (i < n) {
                while (i < n && isPySpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int j = i;
                while (j < n && !isPySpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        String sep = PyValues.str(sepArg);
        if (sep.isEmpty()) {
            throw PythonJinja.raise("ValueError: empty separator");
        }
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    static List<Object> splitlines(String s) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r') {
                out.add(s.substring(start, i));
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static List<Object> rsplit(String s, Object sepArg, int maxsplit) {
        if (maxsplit < 0 || sepArg == null) {
            return split(s, sepArg, maxsplit);
        }
        String sep = PyValues.str(sepArg);
        List<Object> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxsplit) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0 || end - sep.length() < 0) {
                break;
            }
            out.addFirst(s.substring(at + sep.length(), end));
            end = at;
        }
        out.addFirst(s.substring(0, end));
        return out;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }

    private static String replace(String s, String old, String with, int count) {
        if (count < 0) {
            return s.replace(old, with);
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            b.append(s, from, at).append(with);
            from = at + old.length();
        }
        return b.append(s.substring(from)).toString();
    }

    private static int countOf(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String pad(String s, int width, Object fill, boolean left, boolean right) {
        if (s.length() >= width) {
            return s;
        }
        String f = fill == null || !(fill instanceof String fs) || fs.length() != 1 ? " " : fs;
        int total = width - s.length();
        int l = left && right ? total / 2 + (total % 2 & width % 2) : left ? total : 0;
        int r = total - l;
        return f.repeat(l) + s + f.repeat(r);
    }

    /** str.format with {}, {0} and {name} fields (no format specs beyond plain conversion). */
    private static String format(String s, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder b = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                b.append('{');
                i++;
            } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                b.append('}');
                i++;
            } else if (c == '{') {
                int close = s.indexOf('}', i);
                String field = s.substring(i + 1, close);
                int colon = field.indexOf(':');
                if (colon >= 0) {
                    field = field.substring(0, colon);
                }
                Object v = field.isEmpty() ? args.get(auto++) : field.chars().allMatch(Character::isDigit)
                        ? args.get(Integer.parseInt(field)) : kwargs.get(field);
                b.append(PyValues.str(v));
                i = close;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    // ---- the rest of ELResolver: this resolver only handles method calls ----

    /** loop.previtem and loop.nextitem, which Jinjava's ForLoop lacks. */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base instanceof com.hubspot.jinjava.util.ForLoop loop && property != null) {
            String name = property.toString();
            if (name.equals("previtem") || name.equals("nextitem")) {
                List<Object> items = PyTags.PyFor.currentItems();
                context.setPropertyResolved(true);
                if (items == null) {
                    return null;
                }
                int at = loop.getIndex0() + (name.equals("previtem") ? -1 : 1);
                return at >= 0 && at < items.size() ? items.get(at) : null;
            }
        }
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not handled here
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
