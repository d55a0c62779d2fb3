package dev.parley.runtime.template;

/**
 * Rewrites the few jinja2 expression forms Jinjava's parser rejects into equivalent ones it accepts,
 * before compiling. Only code inside {@code {{ }}} and {@code {% %}} is touched, never text or strings:
 * <ul>
 *   <li>lstrip_blocks is applied here: jinja2 strips spaces and tabs between the start of a line and
 *       a block tag; Jinjava's option strips them before any block tag, mid-line too;</li>
 *   <li>comments become {@code {{ '' }}} with jinja2's trim_blocks/lstrip_blocks applied here:
 *       Jinjava lets a {@code -%}} before a comment strip the indentation of the line after it;</li>
 *   <li>subscripts with a colon ({@code xs[::-1]}, {@code xs[:n+1]}) become {@code __py_slice(xs, a, b, c)};</li>
 *   <li>other subscripts become {@code __py_getitem(x, key)}: Python indexing of strings, negative
 *       indices, missing keys as None;</li>
 *   <li>{@code n+1} gets spaces: Jinjava lexes {@code +1} as a signed number;</li>
 *   <li>{@code not x is defined}, {@code not a == b}: Jinjava binds {@code not} tighter than tests and
 *       comparisons, Python looser, so the operand gets parentheses;</li>
 *   <li>{@code strftime_now is defined} and the like: globals that are functions are defined;</li>
 *   <li>keyword arguments whose value has operators ({@code namespace(i=xs|length - 1)}) get parentheses,
 *       because Jinjava binds {@code i=xs|length} before the {@code - 1}.</li>
 * </ul>
 */
final class SourceRewriter {

    private SourceRewriter() {
    }

    static String rewrite(String source) {
        StringBuilder out = new StringBuilder(source.length() + 64);
        int i = 0;
        while (i < source.length()) {
            int open = nextOpen(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            out.append(source, i, open);
            char kind = source.charAt(open + 1);
            if (kind == '#') {
                i = comment(source, open, out);
                continue;
            }
            if (kind == '%') {
                if (source.startsWith("{%+", open)) {
                    out.append("{%");
                    i = open + 3; // '+' keeps the indentation: nothing to strip, and Jinjava has no '+'
                    int end = findClose(source, i, "%}");
                    if (end < 0) {
                        out.append(source, i, source.length());
                        break;
                    }
                    out.append(expression(source.substring(i, end))).append("%}");
                    i = end + 2;
                    continue;
                }
                if (!source.startsWith("{%-", open)) {
                    int lineStart = out.lastIndexOf("\n") + 1;
                    if (isBlankIndent(out, lineStart)) {
                        out.setLength(lineStart);
                    }
                }
            }
            out.append(source, open, open + 2);
            String close = kind == '{' ? "}}" : "%}";
            int end = findClose(source, open + 2, close);
            if (end < 0) {
                out.append(source, open + 2, source.length());
                break;
            }
            String code = source.substring(open + 2, end);
            if (kind == '%' && code.strip().replaceFirst("^-", "").strip().startsWith("raw")) {
                int endRaw = source.indexOf("endraw", end);
                int rawClose = endRaw < 0 ? -1 : source.indexOf("%}", endRaw);
                if (rawClose < 0) {
                    out.append(source, open + 2, source.length());
                    break;
                }
                out.append(source, open + 2, rawClose + 2);
                i = rawClose + 2;
                continue;
            }
            out.append(expression(code)).append(close);
            i = end + 2;
        }
        return out.toString();
    }

    /** Appends the replacement of the comment at {@code open} and returns where the source continues. */
    private static int comment(String source, int open, StringBuilder out) {
        int close = source.indexOf("#}", open + 2);
        if (close < 0) {
            out.append(source, open, source.length());
            return source.length();
        }
        boolean dashLeft = source.startsWith("{#-", open);
        boolean dashRight = source.charAt(close - 1) == '-' && close - 1 > open + 2;
        if (!dashLeft) {
            int lineStart = out.lastIndexOf("\n") + 1;
            if (isBlankIndent(out, lineStart)) {
                out.setLength(lineStart); // lstrip_blocks
            }
        }
        out.append(dashLeft ? "{{- ''" : "{{ ''").append(dashRight ? " -}}" : " }}");
        int next = close + 2;
        if (!dashRight) {
            if (source.startsWith("\r\n", next)) {
                next += 2; // trim_blocks
            } else if (next < source.length() && (source.charAt(next) == '\n' || source.charAt(next) == '\r')) {
                next++;
            }
        }
        return next;
    }

    /** Whether the output since {@code lineStart} is only spaces and tabs (what lstrip_blocks removes). */
    private static boolean isBlankIndent(StringBuilder out, int lineStart) {
        for (int k = lineStart; k < out.length(); k++) {
            char c = out.charAt(k);
            if (c != ' ' && c != '\t') {
                return false;
            }
        }
        return true;
    }

    private static int nextOpen(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** Index of the closing delimiter, skipping string literals in code. */
    private static int findClose(String s, int from, String close) {
        for (int i = from; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i) - 1;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return -1;
    }

    /** Index just past the string literal starting at {@code i}. */
    private static int skipString(String s, int i) {
        char q = s.charAt(i);
        for (int j = i + 1; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c == '\\') {
                j++;
            } else if (c == q) {
                return j + 1;
            }
        }
        return s.length();
    }

    /** Rewrites one code block; recursion handles nesting. */
    static String expression(String code) {
        String head = code.strip();
        if (head.startsWith("-") || head.startsWith("+")) {
            head = head.substring(1).strip();
        }
        if (head.startsWith("macro ") || head.startsWith("call")) {
            return code; // parameter lists with defaults: leave to Jinjava as written
        }
        StringBuilder out = new StringBuilder(code.length() + 16);
        int i = 0;
        while (i < code.length()) {
            char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(code, i);
                out.append(code, i, end);
                i = end;
            } else if (startsWord(code, i, "not") && !previousWordIs(out, "is") && !nextWordIs(code, i + 3, "in")) {
                int end = notOperandEnd(code, i + 3);
                String operand = code.substring(i + 3, end);
                String trailing = "";
                if (end == code.length()) {
                    // keep a closing whitespace-control dash ("... not x -%}") outside the parentheses
                    java.util.regex.Matcher tail = java.util.regex.Pattern.compile("\\s*-?\\s*$").matcher(operand);
                    if (tail.find()) {
                        trailing = tail.group();
                        operand = operand.substring(0, tail.start());
                    }
                }
                out.append("not (").append(expression(operand).strip()).append(')').append(trailing);
                i = end;
            } else if (Character.isLetter(c) && (i == 0 || !isIdentifierChar(code.charAt(i - 1)))
                    && definedGlobal(code, i) != null) {
                String[] g = definedGlobal(code, i);
                out.append(g[1]);
                i += g[0].length();
            } else if (c == '[' && isOperandEnd(out)) {
                int close = matching(code, i);
                String inner = code.substring(i + 1, close);
                java.util.List<String> parts = splitTopLevel(inner, ':');
                if (parts.size() > 1) {
                    int start = primaryStart(out);
                    String target = out.substring(start);
                    out.setLength(start);
                    out.append("__py_slice(").append(target);
                    for (int k = 0; k < 3; k++) {
                        String p = k < parts.size() ? parts.get(k).strip() : "";
                        out.append(", ").append(p.isEmpty() ? "none" : "(" + expression(p) + ")");
                    }
                    out.append(')');
                } else {
                    int start = primaryStart(out);
                    String target = out.substring(start);
                    out.setLength(start);
                    out.append("__py_getitem(").append(target).append(", ").append(expression(inner)).append(')');
                }
                i = close + 1;
            } else if (c == '+' && unaryPlusAllowed(out) && i + 1 < code.length() && isOperandStart(code.charAt(i + 1))) {
                i++; // unary plus: Jinjava has none, and +x == x
            } else if ((c == '+' || c == '-') && isOperandEnd(out) && i + 1 < code.length() && isOperandStart(code.charAt(i + 1))) {
                out.append(' ').append(c).append(' ');
                i++;
            } else if (c == '(' && isCall(out)) {
                int close = matching(code, i);
                java.util.List<String> args = splitTopLevel(code.substring(i + 1, close), ',');
                out.append('(');
                for (int k = 0; k < args.size(); k++) {
                    if (k > 0) {
                        out.append(',');
                    }
                    out.append(keywordArgument(args.get(k)));
                }
                out.append(')');
                i = close + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String keywordArgument(String arg) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\s*[A-Za-z_]\\w*\\s*=)(?!=)(.*)$", java.util.regex.Pattern.DOTALL).matcher(arg);
        if (m.matches()) {
            String value = expression(m.group(2));
            boolean simple = value.strip().matches("[\\w.'\"]+|'[^']*'|\"[^\"]*\"");
            return m.group(1) + (simple ? value : "(" + value.strip() + ")");
        }
        return expression(arg);
    }

    private static final java.util.regex.Pattern DEFINED_GLOBAL = java.util.regex.Pattern.compile(
            "^(strftime_now|raise_exception)\\s+is\\s+(not\\s+defined|undefined|defined)\\b");

    /** {name is defined} on a global function: the matched text and what replaces it. */
    private static String[] definedGlobal(String code, int i) {
        java.util.regex.Matcher m = DEFINED_GLOBAL.matcher(code.substring(i));
        if (!m.find()) {
            return null;
        }
        return new String[] {m.group(), m.group(2).equals("defined") ? "true" : "false"};
    }

    private static boolean isIdentifierChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static boolean startsWord(String code, int i, String word) {
        return code.startsWith(word, i) && (i == 0 || !isIdentifierChar(code.charAt(i - 1)))
                && (i + word.length() >= code.length() || !isIdentifierChar(code.charAt(i + word.length())));
    }

    private static boolean previousWordIs(StringBuilder before, String word) {
        String b = before.toString().stripTrailing();
        return b.endsWith(word) && (b.length() == word.length() || !isIdentifierChar(b.charAt(b.length() - word.length() - 1)));
    }

    private static boolean nextWordIs(String code, int from, String word) {
        int i = from;
        while (i < code.length() && Character.isWhitespace(code.charAt(i))) {
            i++;
        }
        return startsWord(code, i, word);
    }

    /** End of the operand of 'not': the next top-level and/or/if/else, comma or closing bracket. */
    private static int notOperandEnd(String code, int from) {
        int depth = 0;
        for (int i = from; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(code, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (--depth < 0) {
                    return i;
                }
            } else if (depth == 0 && (c == ','
                    || startsWord(code, i, "and") || startsWord(code, i, "or") || startsWord(code, i, "if") || startsWord(code, i, "else"))) {
                return i;
            }
        }
        return code.length();
    }

    /** Whether a '+' here starts an operand (unary) rather than adding to the one before it. */
    private static boolean unaryPlusAllowed(StringBuilder before) {
        String b = before.toString().stripTrailing();
        return b.isEmpty() || "([,=:".indexOf(b.charAt(b.length() - 1)) >= 0 || b.endsWith(" and") || b.endsWith(" or")
                || b.endsWith(" not") || b.matches("(?s).*\\b(if|in|else)$");
    }

    /** Whether the text ends an operand (a name, number, closing bracket or string): then '[' subscripts it and '+' adds. */
    private static boolean isOperandEnd(StringBuilder before) {
        int k = before.length() - 1;
        if (k < 0) {
            return false;
        }
        char p = before.charAt(k);
        return Character.isLetterOrDigit(p) || p == '_' || p == ')' || p == ']' || p == '\'' || p == '"';
    }

    private static boolean isOperandStart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '(' || c == '\'' || c == '"';
    }

    /** A '(' is a call when it follows a name (not a keyword such as 'in' or 'and'). */
    private static boolean isCall(StringBuilder before) {
        int k = before.length() - 1;
        if (k < 0) {
            return false;
        }
        char p = before.charAt(k);
        if (p == ')' || p == ']') {
            return true;
        }
        if (!(Character.isLetterOrDigit(p) || p == '_')) {
            return false;
        }
        int s = k;
        while (s > 0 && (Character.isLetterOrDigit(before.charAt(s - 1)) || before.charAt(s - 1) == '_')) {
            s--;
        }
        String word = before.substring(s, k + 1);
        return !java.util.Set.of("in", "and", "or", "not", "if", "else", "is", "for").contains(word);
    }

    /** Start of the primary expression that ends the text (names, dots, calls, subscripts, strings). */
    private static int primaryStart(StringBuilder s) {
        int i = s.length();
        while (i > 0) {
            char c = s.charAt(i - 1);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else if (c == ']' || c == ')') {
                i = matchingBack(s, i - 1);
            } else if (c == '\'' || c == '"') {
                int j = i - 2;
                while (j >= 0 && s.charAt(j) != c) {
                    j--;
                }
                i = Math.max(j, 0);
            } else {
                break;
            }
        }
        return i;
    }

    private static int matching(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (--depth == 0) {
                    return i;
                }
            }
        }
        return s.length() - 1;
    }

    private static int matchingBack(CharSequence s, int close) {
        int depth = 0;
        for (int i = close; i >= 0; i--) {
            char c = s.charAt(i);
            if (c == ')' || c == ']' || c == '}') {
                depth++;
            } else if (c == '(' || c == '[' || c == '{') {
                if (--depth == 0) {
                    return i;
                }
            }
        }
        return 0;
    }

    static java.util.List<String> splitTopLevel(String s, char sep) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == sep && depth == 0) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        return parts;
    }
}
