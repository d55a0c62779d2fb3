package dev.parley.runtime.jsonschema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Builds a GBNF grammar (llama.cpp's grammar format) from JSON Schemas and hand-written rules. Rule names
 * and rule text follow llama.cpp's common/json-schema-to-grammar.cpp, so a schema gives the same grammar
 * here as in llama-server: rules named after the property path ({@code root}, {@code a-kv}, {@code item}),
 * shared primitives ({@code string}, {@code number}, {@code space}), rules printed sorted by name.
 *
 * <p>One builder makes one grammar: add schemas and rules, then {@link #format()}. Not thread-safe.
 */
public final class GrammarBuilder {

    /** Optional whitespace between JSON tokens, bounded so a model cannot loop on newlines forever. */
    static final String SPACE_RULE = "| \" \" | \"\\n\"{1,2} [ \\t]{0,20}";

    private record Builtin(String content, List<String> deps) {}

    private static final Map<String, Builtin> PRIMITIVES = Map.ofEntries(
            Map.entry("boolean", new Builtin("(\"true\" | \"false\")", List.of())),
            Map.entry("decimal-part", new Builtin("[0-9]{1,16}", List.of())),
            Map.entry("integral-part", new Builtin("[0] | [1-9] [0-9]{0,15}", List.of())),
            Map.entry("number", new Builtin("(\"-\"? integral-part) (\".\" decimal-part)? ([eE] [-+]? integral-part)?",
                    List.of("integral-part", "decimal-part"))),
            Map.entry("integer", new Builtin("(\"-\"? integral-part)", List.of("integral-part"))),
            Map.entry("value", new Builtin("object | array | string | number | boolean | null",
                    List.of("object", "array", "string", "number", "boolean", "null"))),
            Map.entry("object", new Builtin(
                    "\"{\" space ( string \":\" space value (\",\" space string \":\" space value)* )? space \"}\"",
                    List.of("string", "value"))),
            Map.entry("array", new Builtin("\"[\" space ( value (\",\" space value)* )? space \"]\"", List.of("value"))),
            Map.entry("uuid", new Builtin("\"\\\"\" [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" "
                    + "[0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12} \"\\\"\"", List.of())),
            Map.entry("char", new Builtin("[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})", List.of())),
            Map.entry("string", new Builtin("\"\\\"\" char* \"\\\"\"", List.of("char"))),
            Map.entry("null", new Builtin("\"null\"", List.of())));

    private static final Map<String, Builtin> STRING_FORMATS = Map.of(
            "date", new Builtin("[0-9]{4} \"-\" ( \"0\" [1-9] | \"1\" [0-2] ) \"-\" ( \"0\" [1-9] | [1-2] [0-9] | \"3\" [0-1] )", List.of()),
            "time", new Builtin("([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{3} )? "
                    + "( \"Z\" | ( \"+\" | \"-\" ) ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )", List.of()),
            "date-time", new Builtin("date \"T\" time", List.of("date", "time")),
            "date-string", new Builtin("\"\\\"\" date \"\\\"\"", List.of("date")),
            "time-string", new Builtin("\"\\\"\" time \"\\\"\"", List.of("time")),
            "date-time-string", new Builtin("\"\\\"\" date-time \"\\\"\"", List.of("date-time")));

    private static final Pattern INVALID_RULE_CHARS = Pattern.compile("[^a-zA-Z0-9-]+");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean dotall;
    private final TreeMap<String, String> rules = new TreeMap<>();
    /** Per schema document (its ref-target map): $ref -> rule name, and the refs being visited now. */
    private final Map<Map<String, SchemaNode>, Map<String, String>> refRules = new IdentityHashMap<>();
    private final Set<String> refsBeingResolved = new HashSet<>();
    private final List<String> warnings = new ArrayList<>();

    public GrammarBuilder() {
        this(false);
    }

    /** @param dotall whether {@code .} in patterns matches line breaks too */
    public GrammarBuilder(boolean dotall) {
        this.dotall = dotall;
        rules.put("space", SPACE_RULE);
    }

    /**
     * Adds a rule; returns its name, which is {@code name} made a valid rule name, with a number appended
     * when a different rule already has that name.
     */
    public String addRule(String name, String rule) {
        String escaped = INVALID_RULE_CHARS.matcher(name).replaceAll("-");
        String existing = rules.get(escaped);
        if (existing == null || existing.equals(rule)) {
            rules.put(escaped, rule);
            return escaped;
        }
        int i = 0;
        while (rules.containsKey(escaped + i) && !rules.get(escaped + i).equals(rule)) {
            i++;
        }
        String key = escaped + i;
        rules.put(key, rule);
        return key;
    }

    /**
     * Adds the rules matching JSON values valid under {@code schema}, the top one named {@code name}
     * ({@code "root"} for the grammar's start rule); returns the top rule's name.
     *
     * @throws SchemaException when the schema is malformed or uses a keyword a grammar cannot enforce
     */
    public String addSchema(String name, JsonNode schema) {
        return visit(SchemaReader.read(schema), "root".equals(name) ? "" : name);
    }

    /** The grammar: every rule, sorted by name, one per line. */
    public String format() {
        StringBuilder out = new StringBuilder();
        rules.forEach((name, rule) -> out.append(name).append(" ::= ").append(rule).append('\n'));
        return out.toString();
    }

    /** What was relaxed while converting (a pattern with no grammar equivalent accepts any string). */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** A quoted GBNF literal matching {@code text} exactly. */
    public static String literal(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** {@code item} repeated min..max times ({@link Integer#MAX_VALUE}: unbounded), separated by {@code separator}. */
    static String repetition(String item, int min, int max, String separator) {
        boolean hasMax = max != Integer.MAX_VALUE;
        if (max == 0) {
            return "";
        }
        if (min == 0 && max == 1) {
            return item + "?";
        }
        if (separator.isEmpty()) {
            if (min == 1 && !hasMax) {
                return item + "+";
            }
            if (min == 0 && !hasMax) {
                return item + "*";
            }
            return item + "{" + min + "," + (hasMax ? Integer.toString(max) : "") + "}";
        }
        String result = item + " " + repetition("(" + separator + " " + item + ")", min == 0 ? 0 : min - 1,
                hasMax ? max - 1 : max, "");
        return min == 0 ? "(" + result + ")?" : result;
    }

    private static boolean reserved(String name) {
        return name.equals("root") || PRIMITIVES.containsKey(name) || STRING_FORMATS.containsKey(name);
    }

    private static String json(JsonNode value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    private static String json(String text) {
        return json(JSON.getNodeFactory().textNode(text));
    }

    private String primitive(String name, Builtin rule) {
        String added = addRule(name, rule.content());
        for (String dep : rule.deps()) {
            Builtin depRule = PRIMITIVES.containsKey(dep) ? PRIMITIVES.get(dep) : STRING_FORMATS.get(dep);
            if (!rules.containsKey(dep)) {
                primitive(dep, depRule);
            }
        }
        return added;
    }

    private String primitive(String ruleName, String type) {
        return primitive("root".equals(ruleName) ? "root" : type, PRIMITIVES.get(type));
    }

    private String visit(SchemaNode schema, String name) {
        String ruleName = reserved(name) ? name + "-" : name.isEmpty() ? "root" : name;
        String subName = name + (name.isEmpty() ? "" : "-");
        return switch (schema) {
            case SchemaNode.Ref ref -> addRule(ruleName, resolve(ref));
            case SchemaNode.AnyOf anyOf -> addRule(ruleName, union(name, anyOf.children()));
            case SchemaNode.AllOf allOf -> allOf(allOf, name, ruleName);
            case SchemaNode.Const c -> addRule(ruleName, literal(json(c.value())));
            case SchemaNode.Enum e -> addRule(ruleName, "(" + String.join(" | ", e.values().stream().map(v -> literal(json(v))).toList()) + ")");
            case SchemaNode.Obj obj -> {
                if (obj.properties().isEmpty() && obj.additional() instanceof SchemaNode.Any) {
                    yield addRule(ruleName, primitive("object", PRIMITIVES.get("object")));
                }
                yield addRule(ruleName, objectRule(obj.properties(), name, obj.additional()));
            }
            case SchemaNode.Tuple tuple -> {
                StringBuilder rule = new StringBuilder("\"[\" space ");
                for (int i = 0; i < tuple.items().size(); i++) {
                    if (i > 0) {
                        rule.append(" \",\" space ");
                    }
                    rule.append(visit(tuple.items().get(i), subName + "tuple-" + i));
                }
                yield addRule(ruleName, rule.append(" space \"]\"").toString());
            }
            case SchemaNode.Arr arr -> {
                if (arr.items() instanceof SchemaNode.Any && arr.minItems() == 0 && arr.maxItems() < 0) {
                    yield primitive(ruleName, "array");
                }
                String item = visit(arr.items(), subName + "item");
                int max = arr.maxItems() < 0 ? Integer.MAX_VALUE : arr.maxItems();
                yield addRule(ruleName, "\"[\" space " + repetition(item, arr.minItems(), max, "\",\" space") + " space \"]\"");
            }
            case SchemaNode.Str str -> string(str, ruleName);
            case SchemaNode.Int i -> {
                if (i.minimum() == Long.MIN_VALUE && i.maximum() == Long.MAX_VALUE) {
                    yield primitive(ruleName, "integer");
                }
                yield addRule(ruleName, "(" + IntegerRange.rule(i.minimum(), i.maximum()) + ")");
            }
            case SchemaNode.Num n -> primitive(ruleName, "number");
            case SchemaNode.Bool b -> primitive(ruleName, "boolean");
            case SchemaNode.Null n -> primitive(ruleName, "null");
            case SchemaNode.Any a -> addRule(ruleName, primitive("value", PRIMITIVES.get("value")));
        };
    }

    private String string(SchemaNode.Str str, String ruleName) {
        if (str.pattern() != null) {
            TreeMap<String, String> snapshot = new TreeMap<>(rules);
            try {
                return addRule(ruleName, PatternRule.expression(str.pattern(), ruleName, this::addRule, dotall));
            } catch (PatternRule.Unsupported e) {
                // llama.cpp does the same: drop the helper rules, accept any string, warn
                rules.clear();
                rules.putAll(snapshot);
                warnings.add("pattern " + str.pattern() + " is not supported (" + e.getMessage() + "), accepting any string");
                return addRule(ruleName, primitive("string", PRIMITIVES.get("string")));
            } catch (PatternRule.Invalid e) {
                throw new SchemaException("pattern", ruleName, "invalid pattern " + str.pattern() + ": " + e.getMessage());
            }
        }
        if (str.format() == SchemaNode.Format.UUID) {
            return primitive(ruleName, "uuid");
        }
        if (str.format() != SchemaNode.Format.NONE) {
            String prim = switch (str.format()) {
                case DATE -> "date";
                case TIME -> "time";
                default -> "date-time";
            } + "-string";
            return addRule(ruleName, primitive(prim, STRING_FORMATS.get(prim)));
        }
        if (str.minLength() > 0 || str.maxLength() >= 0) {
            String ch = primitive("char", PRIMITIVES.get("char"));
            int max = str.maxLength() < 0 ? Integer.MAX_VALUE : str.maxLength();
            return addRule(ruleName, "\"\\\"\" " + repetition(ch, str.minLength(), max, "") + " \"\\\"\"");
        }
        return primitive(ruleName, "string");
    }

    private String union(String name, List<SchemaNode> alternatives) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < alternatives.size(); i++) {
            names.add(visit(alternatives.get(i), name + (name.isEmpty() ? "alternative-" : "-") + i));
        }
        return String.join(" | ", names);
    }

    private String resolve(SchemaNode.Ref ref) {
        Map<String, String> done = refRules.computeIfAbsent(ref.targets(), k -> new HashMap<>());
        String known = done.get(ref.ref());
        if (known != null) {
            return known;
        }
        String fragment = ref.ref().substring(ref.ref().indexOf('#') + 1);
        String refName = "ref" + INVALID_RULE_CHARS.matcher(fragment).replaceAll("-");
        String key = System.identityHashCode(ref.targets()) + ref.ref();
        if (!refsBeingResolved.add(key)) {
            return refName; // a recursive schema: the rule being built right now
        }
        try {
            String added = visit(ref.target(), refName);
            done.put(ref.ref(), added);
            return added;
        } finally {
            refsBeingResolved.remove(key);
        }
    }

    /** allOf: the union of the parts' properties (anyOf parts optional), or the intersection of their enums. */
    private String allOf(SchemaNode.AllOf schema, String name, String ruleName) {
        Set<String> required = new HashSet<>();
        List<SchemaNode.Property> properties = new ArrayList<>();
        Map<String, Integer> enumCounts = new TreeMap<>();
        for (SchemaNode child : schema.children()) {
            if (child instanceof SchemaNode.AnyOf anyOf) {
                anyOf.children().forEach(alt -> addComponent(alt, false, properties, required, enumCounts));
            } else {
                addComponent(child, true, properties, required, enumCounts);
            }
        }
        if (!enumCounts.isEmpty()) {
            List<String> intersection = enumCounts.entrySet().stream()
                    .filter(e -> e.getValue() == schema.children().size()).map(Map.Entry::getKey).toList();
            if (!intersection.isEmpty()) {
                return addRule(ruleName, "(" + String.join(" | ", intersection) + ")");
            }
        }
        List<SchemaNode.Property> merged = properties.stream()
                .map(p -> new SchemaNode.Property(p.name(), p.schema(), required.contains(p.name()))).toList();
        return addRule(ruleName, objectRule(merged, name, null));
    }

    private void addComponent(SchemaNode component, boolean isRequired, List<SchemaNode.Property> properties,
                              Set<String> required, Map<String, Integer> enumCounts) {
        switch (component) {
            case SchemaNode.Ref ref when ref.target() != null -> addComponent(ref.target(), isRequired, properties, required, enumCounts);
            case SchemaNode.Obj obj -> obj.properties().forEach(p -> {
                properties.add(p);
                if (isRequired) {
                    required.add(p.name());
                }
            });
            case SchemaNode.Enum e -> e.values().forEach(v -> enumCounts.merge(literal(json(v)), 1, Integer::sum));
            default -> { }
        }
    }

    private String objectRule(List<SchemaNode.Property> properties, String name, SchemaNode additional) {
        String prefix = name + (name.isEmpty() ? "" : "-");
        List<String> requiredProps = new ArrayList<>();
        List<String> optionalProps = new ArrayList<>();
        Map<String, String> kvRules = new HashMap<>();
        List<String> propNames = new ArrayList<>();
        for (SchemaNode.Property p : properties) {
            String valueRule = visit(p.schema(), prefix + p.name());
            kvRules.put(p.name(), addRule(prefix + p.name() + "-kv", literal(json(p.name())) + " space \":\" space " + valueRule));
            (p.required() ? requiredProps : optionalProps).add(p.name());
            propNames.add(p.name());
        }
        if (additional != null) {
            String subName = prefix + "additional";
            String valueRule = additional instanceof SchemaNode.Any
                    ? primitive("value", PRIMITIVES.get("value"))
                    : visit(additional, subName + "-value");
            String keyRule = propNames.isEmpty()
                    ? primitive("string", PRIMITIVES.get("string"))
                    : addRule(subName + "-k", notStrings(propNames));
            kvRules.put("*", addRule(subName + "-kv", keyRule + " \":\" space " + valueRule));
            optionalProps.add("*");
        }
        if (requiredProps.isEmpty() && optionalProps.isEmpty()) {
            return "\"{\" space \"}\"";
        }
        StringBuilder rule = new StringBuilder("\"{\" space ");
        for (int i = 0; i < requiredProps.size(); i++) {
            if (i > 0) {
                rule.append(" \",\" space ");
            }
            rule.append(kvRules.get(requiredProps.get(i)));
        }
        if (!optionalProps.isEmpty()) {
            rule.append(" (");
            if (!requiredProps.isEmpty()) {
                rule.append(" \",\" space ( ");
            }
            for (int i = 0; i < optionalProps.size(); i++) {
                if (i > 0) {
                    rule.append(" | ");
                }
                rule.append(optionalChain(optionalProps.subList(i, optionalProps.size()), false, kvRules, prefix));
            }
            if (!requiredProps.isEmpty()) {
                rule.append(" )");
            }
            rule.append(" )?");
        }
        return rule.append(" space \"}\"").toString();
    }

    /** The optional properties from the first of {@code keys} on, each at most once and in order. */
    private String optionalChain(List<String> keys, boolean firstIsOptional, Map<String, String> kvRules, String prefix) {
        if (keys.isEmpty()) {
            return "";
        }
        String k = keys.getFirst();
        String kv = kvRules.get(k);
        String commaRef = "( \",\" space " + kv + " )";
        String res = firstIsOptional
                ? commaRef + (k.equals("*") ? "*" : "?")
                : kv + (k.equals("*") ? " " + commaRef + "*" : "");
        if (keys.size() > 1) {
            res += " " + addRule(prefix + k + "-rest", optionalChain(keys.subList(1, keys.size()), true, kvRules, prefix));
        }
        return res;
    }

    /** A JSON string that is none of {@code strings} (the keys an additional property must not reuse). */
    private String notStrings(List<String> strings) {
        Trie trie = new Trie();
        strings.forEach(trie::insert);
        String ch = primitive("char", PRIMITIVES.get("char"));
        StringBuilder out = new StringBuilder("[\"] ( ");
        notStrings(trie, out, ch);
        out.append(" )");
        if (!trie.terminal) {
            out.append('?');
        }
        return out.append(" [\"]").toString();
    }

    private static void notStrings(Trie node, StringBuilder out, String ch) {
        StringBuilder rejects = new StringBuilder();
        boolean first = true;
        for (Map.Entry<Integer, Trie> child : node.children.entrySet()) {
            String c = Character.toString(child.getKey());
            rejects.append(c);
            if (!first) {
                out.append(" | ");
            }
            first = false;
            out.append('[').append(c).append(']');
            if (!child.getValue().children.isEmpty()) {
                out.append(" (");
                notStrings(child.getValue(), out, ch);
                out.append(')');
            } else {
                out.append(' ').append(ch).append('+');
            }
        }
        if (!node.children.isEmpty()) {
            out.append(" | [^\"").append(rejects).append("] ").append(ch).append('*');
        }
    }

    /** Code points by prefix, children in code point order. */
    private static final class Trie {
        final TreeMap<Integer, Trie> children = new TreeMap<>();
        boolean terminal;

        void insert(String word) {
            Trie node = this;
            for (int cp : word.codePoints().toArray()) {
                node = node.children.computeIfAbsent(cp, k -> new Trie());
            }
            node.terminal = true;
        }
    }
}
