package dev.parley.server.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Client input quoted back in an error message (and so in the log): control characters escaped, so
 * that no input can forge a log line, and cut to {@link #MAX_CHARS}, so that a 9 MB value is not
 * repeated into the log and the error body.
 */
public final class Echo {

    public static final int MAX_CHARS = 200;

    private Echo() {
    }

    public static String of(JsonNode value) {
        if (value.isTextual()) {
            String t = value.textValue();
            return "\"" + text(t.length() > MAX_CHARS ? t.substring(0, MAX_CHARS) : t) + "\""
                    + (t.length() > MAX_CHARS ? "... (" + t.length() + " characters)" : "");
        }
        return text(value.toString());
    }

    public static String text(String s) {
        if (s == null) {
            return "null";
        }
        int keep = Math.min(s.length(), MAX_CHARS);
        if (keep < s.length() && Character.isHighSurrogate(s.charAt(keep - 1))) {
            keep--;
        }
        StringBuilder b = new StringBuilder(keep + 32);
        for (int i = 0; i < keep; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (keep < s.length()) {
            b.append("... (").append(s.length()).append(" characters)");
        }
        return b.toString();
    }
}
