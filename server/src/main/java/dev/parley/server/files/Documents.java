package dev.parley.server.files;

import java.util.List;

/**
 * Where and how documents go into a prompt. Always the same bytes for the same files, so that a
 * conversation's prompt prefix, and with it the KV cache, stays the same from turn to turn: each
 * document in a {@code <document name="...">} block, in the order the files were given, before the
 * text of the message that referenced them (a thread's own files: in its system message).
 */
public final class Documents {

    private Documents() {
    }

    /** A message's content with its documents put before it. */
    public static String inline(List<Document> documents, String content) {
        if (documents.isEmpty()) {
            return content;
        }
        StringBuilder b = new StringBuilder();
        for (Document d : documents) {
            b.append(block(d)).append("\n\n");
        }
        if (content == null || content.isEmpty()) {
            b.setLength(b.length() - 2);
        } else {
            b.append(content);
        }
        return b.toString();
    }

    /** One document's block. */
    public static String block(Document d) {
        return "<document name=\"" + attribute(d.name()) + "\">\n" + d.text() + "\n</document>";
    }

    /** A file name as an attribute value: one line, no double quotes. */
    private static String attribute(String name) {
        StringBuilder b = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            b.append(c == '"' ? '\'' : Character.isISOControl(c) ? ' ' : c);
        }
        return b.toString();
    }
}
