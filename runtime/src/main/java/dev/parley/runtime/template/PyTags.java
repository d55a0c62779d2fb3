package dev.parley.runtime.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Tags, tests and filters whose Jinjava meaning differs from Python's. */
final class PyTags {

    private PyTags() {
    }

    /**
     * jinja2's for: {@code for x in xs if cond} filters before looping (so loop.index counts kept
     * items), a loop over None raises, a loop over a string walks its characters, and
     * {@code loop.previtem}/{@code loop.nextitem} exist (see {@link PythonMethods}).
     */
    static final class PyFor extends ForTag {
        private static final ThreadLocal<java.util.ArrayDeque<List<Object>>> ITEMS = ThreadLocal.withInitial(java.util.ArrayDeque::new);
        /** The {% else %} part of each compiled for loop, taken out of its body at compile time. */
        private static final Map<TagNode, List<com.hubspot.jinjava.tree.Node>> ELSE_BRANCHES =
                java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

        /**
         * Moves every for loop's {% else %} branch out of the loop body (Jinjava has no for-else and
         * would render it on every iteration). Called once per compiled template.
         */
        static void splitElseBranches(com.hubspot.jinjava.tree.Node node) {
            for (com.hubspot.jinjava.tree.Node child : node.getChildren()) {
                splitElseBranches(child);
            }
            if (node instanceof TagNode tag && tag.getName().equals("for")) {
                List<com.hubspot.jinjava.tree.Node> children = tag.getChildren();
                for (int i = 0; i < children.size(); i++) {
                    if (children.get(i) instanceof TagNode t && t.getName().equals("else")) {
                        List<com.hubspot.jinjava.tree.Node> branch = new ArrayList<>(children.subList(i + 1, children.size()));
                        children.subList(i, children.size()).clear();
                        ELSE_BRANCHES.put(tag, branch);
                        break;
                    }
                }
            }
        }

        /** The items of the innermost loop being rendered, for previtem/nextitem. */
        static List<Object> currentItems() {
            return ITEMS.get().peek();
        }

        @Override
        public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
            var varsAndExpression = getLoopVarsAndExpression((com.hubspot.jinjava.tree.parse.TagToken) tagNode.getMaster());
            List<String> loopVars = varsAndExpression.getLeft();
            String expression = varsAndExpression.getRight();
            String condition = null;
            int split = topLevelIf(expression);
            if (split >= 0) {
                condition = expression.substring(split + 4);
                expression = expression.substring(0, split);
            }
            Object collection = interpreter.resolveELExpression(expression, tagNode.getLineNumber());
            List<Object> items = collection == null && isUndefined(interpreter, expression.strip()) ? List.of() : items(collection);
            if (condition != null) {
                List<Object> kept = new ArrayList<>();
                for (Object item : items) {
                    try (var scope = interpreter.enterScope()) {
                        bind(interpreter, loopVars, item);
                        if (PyValues.truthy(interpreter.resolveELExpression(condition, tagNode.getLineNumber()))) {
                            kept.add(item);
                        }
                    }
                }
                items = kept;
            }
            if (items.isEmpty()) {
                List<com.hubspot.jinjava.tree.Node> otherwise = ELSE_BRANCHES.get(tagNode);
                StringBuilder out = new StringBuilder();
                if (otherwise != null) {
                    for (com.hubspot.jinjava.tree.Node n : otherwise) {
                        out.append(n.render(interpreter).getValue());
                    }
                }
                return out.toString();
            }
            ITEMS.get().push(items);
            try {
                return renderForCollection(tagNode, interpreter, loopVars, items);
            } finally {
                ITEMS.get().pop();
            }
        }

        /**
         * Whether a name or dotted path is undefined (a missing variable or key), which jinja2 loops
         * over as empty, as opposed to None, which it refuses.
         */
        private static boolean isUndefined(JinjavaInterpreter interpreter, String path) {
            if (!path.matches("[A-Za-z_]\\w*(\\.[A-Za-z_]\\w*)*")) {
                return false;
            }
            String[] parts = path.split("\\.");
            PythonJinja.RenderState state = PythonJinja.current();
            if (parts.length == 1 && state != null && state.noneVariables.contains(parts[0])) {
                return false;
            }
            if (!interpreter.getContext().containsKey(parts[0])) {
                return state == null || !state.noneVariables.contains(parts[0]);
            }
            Object cur = PyValues.unwrap(interpreter.getContext().get(parts[0]));
            for (int i = 1; i < parts.length; i++) {
                if (!(cur instanceof Map<?, ?> m)) {
                    return false;
                }
                if (!m.containsKey(parts[i])) {
                    return true;
                }
                cur = PyValues.unwrap(m.get(parts[i]));
            }
            return false;
        }

        private static List<Object> items(Object collection) {
            Object c = PyValues.unwrap(collection);
            if (c == null) {
                throw PythonJinja.raise("TypeError: 'NoneType' object is not iterable");
            }
            List<Object> items = new ArrayList<>();
            if (c instanceof String s) {
                s.codePoints().forEach(cp -> items.add(new String(Character.toChars(cp))));
            } else if (c instanceof Map<?, ?> m) {
                items.addAll(m.keySet());
            } else {
                Iterable<?> it = PyValues.asIterable(c);
                if (it == null) {
                    throw PythonJinja.raise("TypeError: '" + PyValues.typeName(c) + "' object is not iterable");
                }
                it.forEach(items::add);
            }
            return items;
        }

        private static void bind(JinjavaInterpreter interpreter, List<String> vars, Object item) {
            if (vars.size() == 1) {
                interpreter.getContext().put(vars.getFirst(), item);
                return;
            }
            Iterable<?> parts = PyValues.asIterable(item);
            java.util.Iterator<?> it = parts == null ? java.util.Collections.emptyIterator() : parts.iterator();
            for (String v : vars) {
                interpreter.getContext().put(v, it.hasNext() ? it.next() : null);
            }
        }

        /** Position of a top-level " if " that is a loop filter (not part of "a if b else c"). */
        private static int topLevelIf(String expr) {
            int depth = 0;
            for (int i = 0; i < expr.length(); i++) {
                char c = expr.charAt(i);
                if (c == '\'' || c == '"') {
                    char q = c;
                    for (i++; i < expr.length() && expr.charAt(i) != q; i++) {
                        if (expr.charAt(i) == '\\') {
                            i++;
                        }
                    }
                } else if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    depth--;
                } else if (depth == 0 && expr.startsWith(" if ", i)) {
                    String rest = expr.substring(i + 4);
                    return rest.matches("(?s).*\\belse\\b.*") ? -1 : i;
                }
            }
            return -1;
        }
    }

    /** An expression test with Python's meaning. */
    record PyTest(String name, java.util.function.Predicate<Object> predicate) implements ExpTest {
        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return predicate.test(PyValues.unwrap(var));
        }

        @Override
        public String getName() {
            return name;
        }
    }

    static List<ExpTest> tests() {
        return List.of(
                new PyTest("string", v -> v instanceof String),
                new PyTest("mapping", v -> v instanceof Map),
                new PyTest("iterable", v -> v instanceof String || v instanceof Iterable || v instanceof Map || v instanceof Object[]),
                new PyTest("sequence", v -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Object[]),
                new PyTest("number", v -> v instanceof Number || v instanceof Boolean),
                new PyTest("integer", v -> v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof java.math.BigInteger),
                new PyTest("float", v -> v instanceof Double || v instanceof Float),
                new PyTest("boolean", v -> v instanceof Boolean),
                new PyTest("none", v -> v == null),
                new PyTest("true", v -> Boolean.TRUE.equals(v)),
                new PyTest("false", v -> Boolean.FALSE.equals(v)));
    }

    /** Python's str() as a filter. */
    static final class StringFilter implements Filter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PyValues.str(var);
        }

        @Override
        public String getName() {
            return "string";
        }
    }

    /** trim: Python's strip(), and "" for an undefined value (jinja2's Undefined is an empty string). */
    static final class TrimFilter implements Filter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            String chars = args.length > 0 ? args[0] : null;
            return var == null ? "" : PythonMethods.strip(PyValues.str(var), chars, true, true);
        }

        @Override
        public String getName() {
            return "trim";
        }
    }

    /**
     * What jinja2's map/select/reject filters return: a generator, which json.dumps rejects. Other
     * filters may treat it as the list of its items, as iterating it in Python would.
     */
    static final class PyGenerator extends java.util.AbstractList<Object> {
        private final List<Object> items;

        PyGenerator(List<Object> items) {
            this.items = items;
        }

        @Override
        public Object get(int index) {
            return items.get(index);
        }

        @Override
        public int size() {
            return items.size();
        }
    }

    /** Wraps a Jinjava filter whose jinja2 counterpart returns a generator. */
    record GeneratorFilter(Filter delegate) implements com.hubspot.jinjava.lib.filter.AdvancedFilter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object result = delegate.filter(var, interpreter, args, kwargs);
            Iterable<?> items = PyValues.asIterable(result);
            if (items == null) {
                return result;
            }
            List<Object> copy = new ArrayList<>();
            items.forEach(copy::add);
            return new PyGenerator(copy);
        }

        @Override
        public String getName() {
            return delegate.getName();
        }
    }

    /** jinja2's items filter: a mapping's (key, value) pairs. */
    static final class ItemsFilter implements Filter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            Object v = PyValues.unwrap(var);
            List<Object> pairs = new ArrayList<>();
            if (v instanceof Map<?, ?> m) {
                m.forEach((k, val) -> {
                    List<Object> p = new ArrayList<>(2);
                    p.add(k);
                    p.add(val);
                    pairs.add(p);
                });
            }
            return pairs;
        }

        @Override
        public String getName() {
            return "items";
        }
    }
}
