package dev.parley.runtime.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Jinjava set up to behave like transformers' jinja2 environment. Everything Parley adds to Jinjava
 * lives here: the configuration, the globals, filters and tags, and the per-render state.
 */
final class PythonJinja {

    private static final Jinjava ENGINE = create();
    private static final ThreadLocal<RenderState> STATE = new ThreadLocal<>();

    private PythonJinja() {
    }

    /**
     * Per-render state: the clock for strftime_now, the first raise_exception message, and which
     * variables were passed as None (Jinjava's context cannot tell them from undefined ones).
     */
    static final class RenderState {
        final Clock clock;
        final java.util.Set<String> noneVariables;
        private String raised;

        RenderState(Clock clock, java.util.Set<String> noneVariables) {
            this.clock = clock;
            this.noneVariables = noneVariables;
        }

        String raised() {
            return raised;
        }
    }

    static Jinjava engine() {
        return ENGINE;
    }

    static RenderState current() {
        return STATE.get();
    }

    static RenderState begin(Clock clock, java.util.Set<String> noneVariables) {
        RenderState s = new RenderState(clock, noneVariables);
        STATE.set(s);
        return s;
    }

    static void end() {
        STATE.remove();
    }

    private static Jinjava create() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(false) // applied by SourceRewriter, the way jinja2 does it
                .withKeepTrailingNewline(true) // the source's last newline is dropped at compile time instead
                .withNestedInterpretationEnabled(false)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(100)
                .withMaxRenderDepth(100)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withAllowAdjacentTextNodes(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .withDefaultKeepTrailingNewlineBehavior(false)
                        .build())
                .withElResolver(new jinjava.javax.el.CompositeELResolver() {
                    {
                        add(new PythonMethods());
                        add(com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
                    }
                })
                .build();
        Jinjava jinjava = new Jinjava(config);
        var globals = jinjava.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", PythonJinja.class, "raiseException", Object.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", PythonJinja.class, "strftimeNow", String.class));
        globals.registerFunction(new ELFunctionDefinition("", "__py_getitem", PythonJinja.class, "getItem", Object.class, Object.class));
        globals.registerFunction(new ELFunctionDefinition("", "__py_slice", PythonJinja.class, "slice", Object.class, Object.class, Object.class, Object.class));
        globals.registerFilter(new ToJson());
        globals.registerTag(new GenerationTag());
        globals.registerTag(new PyTags.PyFor());
        globals.registerFilter(new PyTags.StringFilter());
        globals.registerFilter(new PyTags.ItemsFilter());
        globals.registerFilter(new PyTags.TrimFilter());
        PyTags.tests().forEach(globals::registerExpTest);
        PyFilters.all().forEach(globals::registerFilter);
        globals.registerExpTest(new PyFilters.InTest());
        for (String name : List.of("select", "reject", "selectattr", "rejectattr")) {
            globals.registerFilter(new PyTags.GeneratorFilter(globals.getFilter(name)));
        }
        return jinjava;
    }

    /** Template values are plain maps, lists, strings, numbers, booleans and null. */
    static Object toTemplateValue(Object v) {
        return switch (v) {
            case Map<?, ?> m -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                m.forEach((k, val) -> copy.put(String.valueOf(k), toTemplateValue(val)));
                yield copy;
            }
            case List<?> l -> {
                List<Object> copy = new ArrayList<>(l.size());
                l.forEach(x -> copy.add(toTemplateValue(x)));
                yield copy;
            }
            case null, default -> v;
        };
    }

    // ---- globals ----

    public static Object raiseException(Object message) {
        throw raise(PyValues.str(message));
    }

    /**
     * Records that the template raised (Jinjava turns exceptions into error items and carries on
     * rendering; jinja2 stops) and returns the exception to throw. The render then fails with the
     * first such message.
     */
    static RuntimeException raise(String message) {
        RenderState s = STATE.get();
        if (s != null && s.raised == null) {
            s.raised = message;
        }
        return new TemplateRaised(message);
    }

    /** Python's target[key]: dict lookup (missing: None, as jinja2's undefined), list and string indexing. */
    public static Object getItem(Object target, Object key) {
        Object t = PyValues.unwrap(target);
        Object k = PyValues.unwrap(key);
        if (t == null) {
            return null;
        }
        if (t instanceof Map<?, ?> m) {
            // Template maps come from JSON: their keys are strings.
            return m.containsKey(k) ? m.get(k) : k == null || k instanceof String ? null : m.get(PyValues.str(k));
        }
        if (k instanceof Number n && !(k instanceof Double) && !(k instanceof Float)) {
            int i = n.intValue();
            if (t instanceof String s) {
                int len = s.codePointCount(0, s.length());
                int at = i < 0 ? i + len : i;
                if (at < 0 || at >= len) {
                    return null;
                }
                int off = s.offsetByCodePoints(0, at);
                return new String(Character.toChars(s.codePointAt(off)));
            }
            if (t instanceof List<?> l) {
                int at = i < 0 ? i + l.size() : i;
                return at >= 0 && at < l.size() ? l.get(at) : null;
            }
        }
        if (k instanceof String name) {
            // x['attr'] on an object falls back to its attribute, as in jinja2
            JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
            if (interpreter != null && !(t instanceof String) && !(t instanceof List)) {
                return interpreter.resolveProperty(target, List.of(name));
            }
        }
        return null;
    }

    /** Python's target[start:stop:step] on lists and strings (the rewriter turns slices into this). */
    public static Object slice(Object target, Object start, Object stop, Object step) {
        Object t = PyValues.unwrap(target);
        int st = step == null ? 1 : ((Number) PyValues.unwrap(step)).intValue();
        if (st == 0) {
            throw raise("ValueError: slice step cannot be zero");
        }
        List<Object> items;
        if (t instanceof String s) {
            items = new ArrayList<>();
            s.codePoints().forEach(cp -> items.add(new String(Character.toChars(cp))));
        } else if (PyValues.asIterable(t) != null) {
            items = new ArrayList<>();
            PyValues.asIterable(t).forEach(items::add);
        } else {
            throw raise("TypeError: '" + PyValues.typeName(t) + "' object is not subscriptable");
        }
        int n = items.size();
        int lo, hi;
        if (st > 0) {
            lo = bound(start, 0, n, false);
            hi = bound(stop, n, n, false);
        } else {
            lo = bound(start, n - 1, n, true);
            hi = bound(stop, -1, n, true);
        }
        List<Object> out = new ArrayList<>();
        for (int i = lo; st > 0 ? i < hi : i > hi; i += st) {
            out.add(items.get(i));
        }
        if (t instanceof String) {
            StringBuilder b = new StringBuilder();
            out.forEach(b::append);
            return b.toString();
        }
        return out;
    }

    private static int bound(Object v, int dflt, int n, boolean negativeStep) {
        if (v == null) {
            return dflt;
        }
        int i = ((Number) PyValues.unwrap(v)).intValue();
        if (i < 0) {
            i += n;
        }
        return negativeStep ? Math.max(-1, Math.min(i, n - 1)) : Math.max(0, Math.min(i, n));
    }

    public static String strftimeNow(String format) {
        RenderState s = STATE.get();
        LocalDateTime now = LocalDateTime.now(s == null ? Clock.systemDefaultZone() : s.clock);
        return strftime(now, format);
    }

    /** The C strftime directives templates use (%d %b %Y and friends, glibc's %-d). */
    static String strftime(LocalDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < format.length()) {
                noPad = true;
                d = format.charAt(++i);
            }
            String two = noPad ? "%d" : "%02d";
            switch (d) {
                case 'Y' -> out.append(t.getYear());
                case 'y' -> out.append(String.format("%02d", t.getYear() % 100));
                case 'm' -> out.append(String.format(two, t.getMonthValue()));
                case 'd' -> out.append(String.format(two, t.getDayOfMonth()));
                case 'e' -> out.append(String.format("%2d", t.getDayOfMonth()));
                case 'H' -> out.append(String.format(two, t.getHour()));
                case 'I' -> out.append(String.format(two, (t.getHour() + 11) % 12 + 1));
                case 'M' -> out.append(String.format(two, t.getMinute()));
                case 'S' -> out.append(String.format(two, t.getSecond()));
                case 'p' -> out.append(t.getHour() < 12 ? "AM" : "PM");
                case 'b', 'h' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'j' -> out.append(String.format(noPad ? "%d" : "%03d", t.getDayOfYear()));
                case '%' -> out.append('%');
                default -> out.append('%').append(d);
            }
        }
        return out.toString();
    }

    /** What a raising template throws; its message is the template's own (or Python's). */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message, null, false, false);
        }
    }

    // ---- filters and tags ----

    /** transformers' tojson: json.dumps(x, ensure_ascii=False, indent=, separators=, sort_keys=). */
    static final class ToJson implements AdvancedFilter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            boolean ascii = PyValues.truthy(kwargs.get("ensure_ascii"));
            Object separators = kwargs.get("separators");
            String item = null, key = null;
            Iterable<?> seps = PyValues.asIterable(separators);
            if (seps != null) {
                List<Object> s = new ArrayList<>();
                seps.forEach(s::add);
                item = PyValues.str(s.get(0));
                key = PyValues.str(s.get(1));
            }
            boolean sort = PyValues.truthy(kwargs.get("sort_keys"));
            return PyJson.dumps(var, indent == null ? null : ((Number) indent).intValue(), item, key, sort, ascii);
        }

        @Override
        public String getName() {
            return "tojson";
        }
    }

    /** transformers' {% generation %}: marks assistant text for masks; rendering just passes it through. */
    static final class GenerationTag implements Tag {
        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }

        @Override
        public String getName() {
            return "generation";
        }
    }
}
