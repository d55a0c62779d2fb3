package dev.parley.runtime.jsonschema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * Translates an anchored regular expression ({@code ^...$}) into a GBNF expression for the JSON string
 * holding it, as llama.cpp's converter does: literals, classes, groups, alternation and the
 * {@code * + ? {m,n}} quantifiers. Anything else (lookaround, shorthand classes such as {@code \w},
 * anchors inside, unanchored patterns) is {@link Unsupported}; the caller then accepts any string, as
 * llama.cpp does. A pattern that is not a regular expression at all is {@link Invalid}.
 */
final class PatternRule {

    static final class Unsupported extends RuntimeException {
        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private static final int MAX_DEPTH = 100;
    private static final Set<Character> NON_LITERAL = Set.of('|', '.', '(', ')', '[', ']', '{', '}', '*', '+', '?', '^', '$');
    private static final Set<Character> ESCAPED_IN_REGEX_ONLY = Set.of('^', '$', '.', '[', ']', '(', ')', '|', '{', '}', '*', '+', '?');

    /** A piece of the sequence being built: a literal (to be quoted and merged) or a grammar expression. */
    private record Part(String text, boolean literal) {
        String rule() {
            return literal ? "\"" + text + "\"" : text;
        }
    }

    private final String pattern;
    private final String name;
    private final BinaryOperator<String> addRule;
    private final String dotRule;
    private final Map<String, String> subRuleIds = new HashMap<>();
    private int i;
    private int depth;

    private PatternRule(String pattern, String name, BinaryOperator<String> addRule, boolean dotall) {
        this.pattern = pattern;
        this.name = name;
        this.addRule = addRule;
        this.dotRule = dotall ? "[\\U00000000-\\U0010FFFF]" : "[^\\x0A\\x0D]";
    }

    /** The GBNF expression of the JSON string; {@code addRule(name, rule)} adds a helper rule and returns its name. */
    static String expression(String pattern, String name, BinaryOperator<String> addRule, boolean dotall) {
        if (pattern.length() < 2 || pattern.charAt(0) != '^' || pattern.charAt(pattern.length() - 1) != '$') {
            throw new Unsupported("not anchored with '^' and '$'");
        }
        PatternRule p = new PatternRule(pattern.substring(1, pattern.length() - 1), name, addRule, dotall);
        String rule = p.transform().rule();
        if (p.depth != 0) {
            throw new Invalid("unbalanced parentheses");
        }
        return "\"\\\"\" (" + rule + ") \"\\\"\"";
    }

    /** Length of a GBNF-compatible escape at {@code pos} (same set as llama.cpp's grammar parser), or 0. */
    static int escapeLength(String s, int pos) {
        if (pos + 1 >= s.length() || s.charAt(pos) != '\\') {
            return 0;
        }
        int hex;
        switch (s.charAt(pos + 1)) {
            case 'x' -> hex = 2;
            case 'u' -> hex = 4;
            case 'U' -> hex = 8;
            case 't', 'r', 'n', '\\', '"', '[', ']', '-' -> {
                return 2;
            }
            default -> {
                return 0;
            }
        }
        if (pos + 2 + hex > s.length()) {
            return 0;
        }
        for (int k = pos + 2; k < pos + 2 + hex; k++) {
            if (Character.digit(s.charAt(k), 16) < 0) {
                return 0;
            }
        }
        return 2 + hex;
    }

    private Part transform() {
        String sub = pattern;
        int length = sub.length();
        List<Part> seq = new ArrayList<>();
        while (i < length) {
            char c = sub.charAt(i);
            if (c == '.') {
                seq.add(new Part(addRule.apply("dot", dotRule), false));
                i++;
            } else if (c == '(') {
                i++;
                if (i < length && sub.charAt(i) == '?') {
                    if (i + 1 < length && sub.charAt(i + 1) == ':') {
                        i += 2; // a non-capturing group is a group
                    } else {
                        throw new Unsupported("unsupported group syntax");
                    }
                }
                if (++depth > MAX_DEPTH) {
                    throw new Unsupported("pattern nesting too deep");
                }
                seq.add(new Part("(" + transform().rule() + ")", false));
            } else if (c == ')') {
                i++;
                if (depth == 0) {
                    throw new Invalid("unbalanced parentheses");
                }
                depth--;
                return join(seq);
            } else if (c == '^' || c == '$') {
                throw new Unsupported("anchor inside the pattern");
            } else if (c == '[') {
                StringBuilder cls = new StringBuilder("[");
                i++;
                while (i < length && sub.charAt(i) != ']') {
                    if (sub.charAt(i) == '\\') {
                        int n = escapeLength(sub, i);
                        if (n == 0) {
                            throw new Unsupported("unsupported escape in character class: " + sub.substring(i, Math.min(i + 2, length)));
                        }
                        cls.append(sub, i, i + n);
                        i += n;
                    } else {
                        cls.append(sub.charAt(i++));
                    }
                }
                if (i >= length) {
                    throw new Invalid("unterminated character class");
                }
                cls.append(']');
                i++;
                seq.add(new Part(cls.toString(), false));
            } else if (c == '|') {
                seq.add(new Part("|", false));
                i++;
            } else if (c == '*' || c == '+' || c == '?') {
                if (seq.isEmpty()) {
                    throw new Invalid("nothing to repeat");
                }
                seq.set(seq.size() - 1, new Part(seq.getLast().rule() + c, false));
                i++;
            } else if (c == '{') {
                seq.add(repetition(seq));
            } else {
                seq.add(literal(c));
            }
        }
        return join(seq);
    }

    /** Reads {@code {m}}, {@code {m,}} or {@code {m,n}} and applies it to the last part (removed from seq). */
    private Part repetition(List<Part> seq) {
        String sub = pattern;
        int start = ++i;
        while (i < sub.length() && sub.charAt(i) != '}') {
            i++;
        }
        if (i >= sub.length()) {
            throw new Unsupported("unterminated curly brackets");
        }
        String inside = sub.substring(start, i);
        i++;
        String[] nums = inside.split(",", -1);
        int min = 0;
        int max = Integer.MAX_VALUE;
        if (nums.length != 1 && nums.length != 2) {
            throw new Unsupported("wrong number of values in curly brackets");
        }
        try {
            if (nums.length == 1) {
                min = max = Integer.parseInt(nums[0].strip());
            } else {
                if (!nums[0].isEmpty()) {
                    min = Integer.parseInt(nums[0].strip());
                }
                if (!nums[1].isEmpty()) {
                    max = Integer.parseInt(nums[1].strip());
                }
            }
        } catch (NumberFormatException e) {
            throw new Unsupported("invalid number in curly brackets");
        }
        if (seq.isEmpty()) {
            throw new Invalid("nothing to repeat");
        }
        Part last = seq.removeLast();
        String item;
        if (last.literal()) {
            item = "\"" + last.text() + "\"";
        } else {
            String id = subRuleIds.get(last.text());
            if (id == null) {
                id = addRule.apply(name + "-" + (subRuleIds.size() + 1), last.text());
                subRuleIds.put(last.text(), id);
            }
            item = id;
        }
        return new Part(GrammarBuilder.repetition(item, min, max, ""), false);
    }

    private Part literal(char first) {
        String sub = pattern;
        int length = sub.length();
        StringBuilder literal = new StringBuilder();
        while (i < length) {
            char ch = sub.charAt(i);
            if (ch == '\\') {
                if (i == length - 1) {
                    throw new Invalid("trailing backslash");
                }
                char next = sub.charAt(i + 1);
                if (ESCAPED_IN_REGEX_ONLY.contains(next)) {
                    literal.append(next);
                    i += 2;
                } else {
                    int n = escapeLength(sub, i);
                    if (n == 0) {
                        throw new Unsupported("unsupported escape: " + sub.substring(i, i + 2));
                    }
                    literal.append(sub, i, i + n);
                    i += n;
                }
            } else if (ch == '"') {
                literal.append("\\\"");
                i++;
            } else if (!NON_LITERAL.contains(ch)
                    && (i == length - 1 || literal.isEmpty() || sub.charAt(i + 1) == '.' || !NON_LITERAL.contains(sub.charAt(i + 1)))) {
                // a character followed by a quantifier stays out of the literal, so the quantifier applies to it alone
                literal.append(ch);
                i++;
            } else {
                break;
            }
        }
        if (literal.isEmpty()) {
            throw new Unsupported("unsupported character: " + first);
        }
        return new Part(literal.toString(), true);
    }

    /** Joins a sequence, merging consecutive literals. */
    private static Part join(List<Part> seq) {
        List<String> out = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        for (Part part : seq) {
            if (part.literal()) {
                literal.append(part.text());
            } else {
                if (!literal.isEmpty()) {
                    out.add("\"" + literal + "\"");
                    literal.setLength(0);
                }
                out.add(part.text());
            }
        }
        if (!literal.isEmpty()) {
            out.add("\"" + literal + "\"");
        }
        return new Part(String.join(" ", out), false);
    }
}
