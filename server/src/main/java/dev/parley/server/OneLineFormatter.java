package dev.parley.server;

import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * SimpleFormatter whose messages are one line whatever they quote: control characters (CR and LF
 * from a client's field name or path, say) are written as \\uXXXX escapes, so no input can forge a
 * log line. Stack traces, printed apart from the message, keep their lines.
 */
public final class OneLineFormatter extends SimpleFormatter {

    @Override
    public String formatMessage(LogRecord record) {
        return escapeControls(super.formatMessage(record));
    }

    static String escapeControls(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 && c != '\t' || c == 0x7f || c == '\u0085' || c == '\u2028' || c == '\u2029';
            if (control && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (control) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }
}
