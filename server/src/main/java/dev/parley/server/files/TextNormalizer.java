package dev.parley.server.files;

import java.text.Normalizer;

/**
 * Puts extracted text into one canonical form, so the same file always yields the same characters and the
 * prompt prefix built from it stays byte-identical from turn to turn (the KV cache reuses it).
 */
final class TextNormalizer {

    private TextNormalizer() {
    }

    /**
     * Unicode NFC; {@code \r\n} and {@code \r} become {@code \n}; control characters other than {@code \n}
     * and {@code \t} are dropped; trailing spaces and tabs leave each line; three or more newlines collapse
     * to two; the whole is trimmed. Tabs inside a line stay (spreadsheet cells are tab-separated).
     */
    static String normalize(String raw) {
        String text = Normalizer.normalize(raw, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(text.length());
        int newlines = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r') {
                if (i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    continue; // the \n that follows ends the line
                }
                c = '\n';
            }
            if (c == '\n') {
                stripTrailingBlanks(out);
                if (++newlines <= 2) {
                    out.append('\n');
                }
                continue;
            }
            if (Character.isISOControl(c) && c != '\t') {
                continue;
            }
            if (c != ' ' && c != '\t') {
                newlines = 0; // a line of blanks only is stripped at its end, so it does not end a run
            }
            out.append(c);
        }
        stripTrailingBlanks(out);
        return out.toString().strip();
    }

    /** Spaces and tabs at the end of a line carry nothing and differ between extractors' versions. */
    private static void stripTrailingBlanks(StringBuilder out) {
        int end = out.length();
        while (end > 0 && (out.charAt(end - 1) == ' ' || out.charAt(end - 1) == '\t')) {
            end--;
        }
        out.setLength(end);
    }
}
