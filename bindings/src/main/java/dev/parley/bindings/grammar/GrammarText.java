package dev.parley.bindings.grammar;

/** How grammar characters and excerpts appear in error messages: control characters escaped. */
final class GrammarText {

    private GrammarText() {
    }

    /** A code point as GBNF would write it: the character itself when printable, else an escape. */
    static String codePoint(long cp) {
        if (cp >= 0x20 && cp < 0x7F) {
            return "'" + (char) cp + "'";
        }
        if (cp <= 0xFFFF) {
            return String.format("\\u%04X", cp);
        }
        return String.format("\\U%08X", cp);
    }

    /** Text with control characters escaped, so an error message stays one line. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029) {
                b.append(switch (cp) {
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> String.format("\\x%02X", cp);
                });
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }
}
