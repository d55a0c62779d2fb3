package dev.parley.bindings.grammar;

import static dev.parley.bindings.grammar.GbnfRules.ALT;
import static dev.parley.bindings.grammar.GbnfRules.CHAR;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_ALT;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_ANY;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_NOT;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_RNG_UPPER;
import static dev.parley.bindings.grammar.GbnfRules.END;
import static dev.parley.bindings.grammar.GbnfRules.RULE_REF;
import static dev.parley.bindings.grammar.GbnfRules.TOKEN;
import static dev.parley.bindings.grammar.GbnfRules.TOKEN_NOT;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GBNF parsed the way llama.cpp parses it ({@code llama_grammar_parser} in src/llama-grammar.cpp of the
 * pinned version), step for step, so that the rules it returns are the rules llama.cpp would build:
 * the same rule ids, the same expansion of groups and repetitions into rules of their own, the same
 * errors. Unlike llama.cpp it never recurses deeper than {@link GrammarLimits#maxNesting}, never grows
 * past the limits, and refuses a repetition whose maximum is below its minimum (llama.cpp's unsigned
 * arithmetic turns {@code x{5,3}} into an endless loop of new rules).
 */
final class GbnfParser {

    /** llama.cpp's MAX_REPETITION_THRESHOLD. */
    private static final int MAX_REPETITION = 2000;
    private static final long UNBOUNDED = -1;
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private final byte[] src;
    private final int length;
    private final GrammarVocab vocab;
    private final GrammarLimits limits;
    private final Map<String, Integer> symbolIds = new HashMap<>();
    private final Map<Integer, String> names = new HashMap<>();
    private final BitSet generated = new BitSet();
    private final List<int[]> rules = new ArrayList<>();
    private long elements;
    private int depth;

    private GbnfParser(byte[] utf8, GrammarVocab vocab, GrammarLimits limits) {
        this.length = utf8.length;
        this.src = Arrays.copyOf(utf8, utf8.length + 4); // NUL-terminated, with room to look ahead as C does
        this.vocab = vocab;
        this.limits = limits;
    }

    /** Parses UTF-8 grammar text (with no NUL in it) into llama.cpp's rules, or throws {@link GrammarException}. */
    static GbnfRules parse(byte[] utf8, GrammarVocab vocab, GrammarLimits limits) {
        return new GbnfParser(utf8, vocab, limits).parse();
    }

    private GbnfRules parse() {
        int pos = parseSpace(0, true);
        while (src[pos] != 0) {
            pos = parseRule(pos);
        }
        for (int id = 0; id < rules.size(); id++) {
            int[] rule = rules.get(id);
            if (rule == null) {
                throw new GrammarException("rule '" + nameOf(id) + "' is used but never defined");
            }
            for (int i = 0; i < rule.length; i += 2) {
                if (rule[i] == RULE_REF && (rule[i + 1] >= rules.size() || rules.get(rule[i + 1]) == null)) {
                    throw new GrammarException("rule '" + nameOf(rule[i + 1]) + "' is used but never defined");
                }
            }
        }
        if (rules.isEmpty()) {
            throw new GrammarException("the grammar has no rules");
        }
        Integer root = symbolIds.get("root");
        // A name seen only in a definition later replaced (x ::= ... root, then x ::= ...) has an id but no rule.
        if (root == null || root >= rules.size() || rules.get(root) == null) {
            throw new GrammarException("the grammar has no 'root' rule (generation starts from 'root')");
        }
        List<String> ruleNames = new ArrayList<>(rules.size());
        for (int id = 0; id < rules.size(); id++) {
            ruleNames.add(nameOf(id));
        }
        return new GbnfRules(List.copyOf(rules), List.copyOf(ruleNames), generated, root);
    }

    private String nameOf(int id) {
        String name = names.get(id);
        return name != null ? name : "#" + id;
    }

    // ---- symbols and rules, as llama_grammar_parser keeps them ----

    private int symbolId(String name) {
        Integer id = symbolIds.get(name);
        if (id != null) {
            return id;
        }
        checkRuleCount();
        int next = symbolIds.size();
        symbolIds.put(name, next);
        names.put(next, name);
        return next;
    }

    /** llama.cpp assigns {@code base_N} = N even when that name exists: two symbols may then share an id. */
    private int generateSymbolId(String base) {
        checkRuleCount();
        int next = symbolIds.size();
        String name = base + "_" + next;
        symbolIds.put(name, next);
        names.put(next, name);
        generated.set(next);
        return next;
    }

    private void checkRuleCount() {
        if (symbolIds.size() >= limits.maxRules()) {
            throw new GrammarException("the grammar has more than " + limits.maxRules()
                    + " rules (groups and repetitions count as rules)");
        }
    }

    private void addRule(int id, Rule rule) {
        while (rules.size() <= id) {
            rules.add(null);
        }
        rules.set(id, rule.toArray());
    }

    /** A rule being built; every element appended counts against the element limit. */
    private final class Rule {
        private int[] data = new int[16];
        private int size; // in ints: two per element

        void add(int type, int value) {
            grow(2);
            data[size++] = type;
            data[size++] = value;
        }

        void addAll(int[] pairs) {
            grow(pairs.length);
            System.arraycopy(pairs, 0, data, size, pairs.length);
            size += pairs.length;
        }

        int elements() {
            return size / 2;
        }

        void truncate(int elementCount) {
            size = elementCount * 2;
        }

        int[] slice(int fromElement) {
            return Arrays.copyOfRange(data, fromElement * 2, size);
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }

        private void grow(int ints) {
            elements += ints / 2;
            if (elements > limits.maxElements()) {
                throw new GrammarException("the grammar expands to more than " + limits.maxElements()
                        + " elements (repetitions such as x{n} copy x n times)");
            }
            if (size + ints > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, size + ints));
            }
        }
    }

    // ---- the parser, function by function as in llama-grammar.cpp ----

    private int parseRule(int pos) {
        int nameEnd = parseName(pos);
        int p = parseSpace(nameEnd, false);
        String name = new String(src, pos, nameEnd - pos, StandardCharsets.US_ASCII);
        int ruleId = symbolId(name);
        if (!(src[p] == ':' && src[p + 1] == ':' && src[p + 2] == '=')) {
            throw error(p, "expecting ::=");
        }
        p = parseSpace(p + 3, true);
        p = parseAlternates(p, name, ruleId, false);
        if (src[p] == '\r') {
            p += src[p + 1] == '\n' ? 2 : 1;
        } else if (src[p] == '\n') {
            p++;
        } else if (src[p] != 0) {
            throw error(p, "expecting newline or end");
        }
        return parseSpace(p, true);
    }

    private int parseAlternates(int pos, String ruleName, int ruleId, boolean nested) {
        Rule rule = new Rule();
        int p = parseSequence(pos, ruleName, rule, nested);
        while (src[p] == '|') {
            rule.add(ALT, 0);
            p = parseSpace(p + 1, true);
            p = parseSequence(p, ruleName, rule, nested);
        }
        rule.add(END, 0);
        addRule(ruleId, rule);
        return p;
    }

    private int parseSequence(int pos, String ruleName, Rule rule, boolean nested) {
        int lastSymStart = rule.elements();
        long prevRules = 1;
        int p = pos;
        while (src[p] != 0) {
            byte c = src[p];
            if (c == '"') {
                p++;
                lastSymStart = rule.elements();
                prevRules = 1;
                while (src[p] != '"') {
                    if (src[p] == 0) {
                        throw error(p, "unexpected end of input (a string is not closed)");
                    }
                    long ch = parseChar(p);
                    p = end(ch);
                    rule.add(CHAR, value(ch));
                }
                p = parseSpace(p + 1, nested);
            } else if (c == '[') {
                p++;
                int startType = CHAR;
                if (src[p] == '^') {
                    p++;
                    startType = CHAR_NOT;
                }
                lastSymStart = rule.elements();
                prevRules = 1;
                if (src[p] == ']') {
                    // llama.cpp reads [] as matching the empty string: certainly not what was meant.
                    throw error(p - 1, "empty character class");
                }
                while (src[p] != ']') {
                    if (src[p] == 0) {
                        throw error(p, "unexpected end of input (a character class is not closed)");
                    }
                    long ch = parseChar(p);
                    p = end(ch);
                    rule.add(lastSymStart < rule.elements() ? CHAR_ALT : startType, value(ch));
                    if (src[p] == '-' && src[p + 1] != ']') {
                        if (src[p + 1] == 0) {
                            throw error(p, "unexpected end of input (a character class is not closed)");
                        }
                        long upper = parseChar(p + 1);
                        p = end(upper);
                        rule.add(CHAR_RNG_UPPER, value(upper));
                    }
                }
                p = parseSpace(p + 1, nested);
            } else if (c == '<' || c == '!') {
                int type = TOKEN;
                if (c == '!') {
                    type = TOKEN_NOT;
                    p++;
                }
                long token = parseToken(p);
                lastSymStart = rule.elements();
                prevRules = 1;
                rule.add(type, value(token));
                p = parseSpace(end(token), nested);
            } else if (isWordChar(c)) {
                int nameEnd = parseName(p);
                int refId = symbolId(new String(src, p, nameEnd - p, StandardCharsets.US_ASCII));
                p = parseSpace(nameEnd, nested);
                lastSymStart = rule.elements();
                prevRules = 1;
                rule.add(RULE_REF, refId);
            } else if (c == '(') {
                if (depth >= limits.maxNesting()) {
                    throw error(p, "parentheses nest deeper than " + limits.maxNesting() + " levels");
                }
                p = parseSpace(p + 1, true);
                int rulesBefore = symbolIds.size();
                int subRuleId = generateSymbolId(ruleName);
                depth++;
                p = parseAlternates(p, ruleName, subRuleId, true);
                depth--;
                prevRules = Math.max(1, symbolIds.size() - rulesBefore);
                lastSymStart = rule.elements();
                rule.add(RULE_REF, subRuleId);
                if (src[p] != ')') {
                    throw error(p, "expecting ')'");
                }
                p = parseSpace(p + 1, nested);
            } else if (c == '.') {
                lastSymStart = rule.elements();
                prevRules = 1;
                rule.add(CHAR_ANY, 0);
                p = parseSpace(p + 1, nested);
            } else if (c == '*' || c == '+' || c == '?') {
                int at = p;
                p = parseSpace(p + 1, nested);
                prevRules = repeat(at, ruleName, rule, lastSymStart, prevRules, c == '+' ? 1 : 0, c == '?' ? 1 : UNBOUNDED);
            } else if (c == '{') {
                int at = p;
                p = parseSpace(p + 1, nested);
                if (!isDigit(src[p])) {
                    throw error(p, "expecting an int");
                }
                int intEnd = parseInt(p);
                BigInteger min = number(p, intEnd);
                p = parseSpace(intEnd, nested);
                BigInteger max = null; // no maximum
                if (src[p] == '}') {
                    max = min;
                    p = parseSpace(p + 1, nested);
                } else if (src[p] == ',') {
                    p = parseSpace(p + 1, nested);
                    if (isDigit(src[p])) {
                        intEnd = parseInt(p);
                        max = number(p, intEnd);
                        p = parseSpace(intEnd, nested);
                    }
                    if (src[p] != '}') {
                        throw error(p, "expecting '}'");
                    }
                    p = parseSpace(p + 1, nested);
                } else {
                    throw error(p, "expecting ','");
                }
                if (min.compareTo(BigInteger.valueOf(MAX_REPETITION)) > 0) {
                    throw error(at, "repetitions above " + MAX_REPETITION + " are not supported");
                }
                if (max != null && max.compareTo(min) < 0) {
                    throw error(at, "the repetition's maximum " + max + " is below its minimum " + min);
                }
                long maxTimes = max == null || max.compareTo(BigInteger.valueOf(MAX_REPETITION)) > 0 ? UNBOUNDED : max.longValue();
                prevRules = repeat(at, ruleName, rule, lastSymStart, prevRules, min.longValue(), maxTimes);
            } else {
                break;
            }
        }
        return p;
    }

    /**
     * llama.cpp's handle_repetitions: S{m,n} becomes m copies of S then n-m nested optional rules
     * ({@code S' ::= S S' |}); returns the new count of repeated rules.
     */
    private long repeat(int at, String ruleName, Rule rule, int lastSymStart, long prevRules, long minTimes, long maxTimes) {
        boolean noMax = maxTimes == UNBOUNDED;
        if (lastSymStart == rule.elements()) {
            throw error(at, "expecting preceding item to */+/?/{");
        }
        int[] prev = rule.slice(lastSymStart);
        long totalRules = 1;
        if (!noMax && maxTimes > 0) {
            totalRules = maxTimes;
        } else if (minTimes > 0) {
            totalRules = minTimes;
        }
        if (prevRules * totalRules > MAX_REPETITION) {
            throw error(at, "the repetition, times the rules it repeats, exceeds " + MAX_REPETITION
                    + ": reduce the number of repetitions or the rule's complexity");
        }
        if (minTimes == 0) {
            rule.truncate(lastSymStart);
        } else {
            for (long i = 1; i < minTimes; i++) {
                rule.addAll(prev);
            }
        }
        int lastRecRuleId = 0;
        long optional = noMax ? 1 : maxTimes - minTimes;
        for (long i = 0; i < optional; i++) {
            Rule rec = new Rule();
            rec.addAll(prev);
            int recRuleId = generateSymbolId(ruleName);
            if (i > 0 || noMax) {
                rec.add(RULE_REF, noMax ? recRuleId : lastRecRuleId);
            }
            rec.add(ALT, 0);
            rec.add(END, 0);
            addRule(recRuleId, rec);
            lastRecRuleId = recRuleId;
        }
        if (optional > 0) {
            rule.add(RULE_REF, lastRecRuleId);
        }
        return prevRules * totalRules;
    }

    /** A char and where it ends, packed: the value (up to 32 bits) high, the end position low. */
    private long parseChar(int pos) {
        if (src[pos] == '\\') {
            return switch (src[pos + 1]) {
                case 'x' -> parseHex(pos + 2, 2);
                case 'u' -> parseHex(pos + 2, 4);
                case 'U' -> parseHex(pos + 2, 8);
                case 't' -> pack('\t', pos + 2);
                case 'r' -> pack('\r', pos + 2);
                case 'n' -> pack('\n', pos + 2);
                case '\\', '"', '[', ']', '-' -> pack(src[pos + 1], pos + 2);
                default -> throw error(pos, "unknown escape");
            };
        } else if (src[pos] != 0) {
            return decodeUtf8(pos);
        }
        throw error(pos, "unexpected end of input");
    }

    private long parseHex(int pos, int size) {
        int end = pos + size;
        long value = 0;
        int p = pos;
        for (; p < end && src[p] != 0; p++) {
            value = (value << 4) & 0xFFFF_FFFFL;
            int c = src[p];
            if ('a' <= c && c <= 'f') {
                value += c - 'a' + 10;
            } else if ('A' <= c && c <= 'F') {
                value += c - 'A' + 10;
            } else if ('0' <= c && c <= '9') {
                value += c - '0';
            } else {
                break;
            }
        }
        if (p != end) {
            throw error(pos, "expecting " + size + " hex chars");
        }
        return pack(value, p);
    }

    /** llama.cpp's decode_utf8 for grammar text (which is valid UTF-8 here). */
    private long decodeUtf8(int pos) {
        int[] lookup = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
        int first = src[pos] & 0xFF;
        int len = lookup[first >> 4];
        int mask = (1 << (8 - len)) - 1;
        long value = first & mask;
        int end = pos + len;
        int p = pos + 1;
        for (; p < end && src[p] != 0; p++) {
            value = (value << 6) + (src[p] & 0x3F);
        }
        return pack(value, p);
    }

    /** A token and where it ends, packed like a char: {@code <[id]>} or {@code <text>} naming one token. */
    private long parseToken(int pos) {
        if (src[pos] != '<') {
            throw error(pos, "expecting '<'");
        }
        int p = pos + 1;
        if (src[p] == '[') {
            p++;
            int intEnd = parseInt(p);
            BigInteger id = number(p, intEnd);
            p = intEnd;
            if (src[p] != ']') {
                throw error(p, "expecting ']'");
            }
            p++;
            if (src[p] != '>') {
                throw error(p, "expecting '>'");
            }
            p++;
            int size = vocab == null ? Integer.MAX_VALUE : vocab.size();
            if (id.compareTo(BigInteger.valueOf(size)) >= 0) {
                throw error(pos, "token id " + id + " is not in the vocabulary (ids 0.." + (size - 1) + ")");
            }
            return pack(id.longValue(), p);
        }
        if (vocab == null) {
            throw error(pos, "no vocabulary to look up a token in");
        }
        while (src[p] != 0 && src[p] != '>') {
            p++;
        }
        if (src[p] != '>') {
            throw error(p, "expecting '>'");
        }
        p++;
        String text = new String(src, pos, p - pos, StandardCharsets.UTF_8);
        int[] tokens = vocab.tokenizeSpecial(text);
        if (tokens.length != 1) {
            throw error(pos, "'" + text + "' is not a single token of this model (it is " + tokens.length + ")");
        }
        return pack(tokens[0], p);
    }

    private BigInteger number(int from, int to) {
        BigInteger n = new BigInteger(new String(src, from, to - from, StandardCharsets.US_ASCII));
        if (n.compareTo(UINT64_MAX) > 0) {
            throw error(from, "number too large");
        }
        return n;
    }

    private int parseSpace(int pos, boolean newlineOk) {
        int p = pos;
        while (src[p] == ' ' || src[p] == '\t' || src[p] == '#' || (newlineOk && (src[p] == '\r' || src[p] == '\n'))) {
            if (src[p] == '#') {
                while (src[p] != 0 && src[p] != '\r' && src[p] != '\n') {
                    p++;
                }
            } else {
                p++;
            }
        }
        return p;
    }

    private int parseName(int pos) {
        int p = pos;
        while (isWordChar(src[p])) {
            p++;
        }
        if (p == pos) {
            throw error(pos, "expecting name");
        }
        return p;
    }

    private int parseInt(int pos) {
        int p = pos;
        while (isDigit(src[p])) {
            p++;
        }
        if (p == pos) {
            throw error(pos, "expecting integer");
        }
        return p;
    }

    private static boolean isDigit(byte c) {
        return '0' <= c && c <= '9';
    }

    private static boolean isWordChar(byte c) {
        return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '-' || isDigit(c);
    }

    private static long pack(long value, int end) {
        return (value << 32) | end;
    }

    private static int value(long packed) {
        return (int) (packed >>> 32);
    }

    private static int end(long packed) {
        return (int) packed;
    }

    /** A syntax error with the line, column and the text found there. */
    private GrammarException error(int pos, String message) {
        int at = Math.min(pos, length);
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at; i++) {
            if (src[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        String before = new String(src, lineStart, at - lineStart, StandardCharsets.UTF_8);
        int column = before.codePointCount(0, before.length()) + 1;
        String rest = new String(src, at, Math.min(length - at, 24), StandardCharsets.UTF_8);
        String found = at >= length ? "the end of the grammar" : "'" + GrammarText.printable(rest) + (length - at > 24 ? "…" : "") + "'";
        return new GrammarException("grammar line " + line + ", column " + column + ": " + message + " (found " + found + ")");
    }
}
