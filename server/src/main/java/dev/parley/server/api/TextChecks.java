package dev.parley.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Text that cannot be stored or tokenized faithfully is refused where it enters: a lone UTF-16
 * surrogate ({@code "\ud800"} in JSON) has no UTF-8 form, and would otherwise be stored as '?'.
 */
final class TextChecks {

    private TextChecks() {
    }

    /** Refuses, naming the field, any string value or field name in {@code node} with a lone surrogate. */
    static void refuseLoneSurrogates(JsonNode node, String at) {
        if (node.isTextual()) {
            if (hasLoneSurrogate(node.textValue())) {
                throw ApiError.badRequest(at, "field '" + at + "' contains a lone UTF-16 surrogate (such as \\ud800), which is not text: send valid Unicode");
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                refuseLoneSurrogates(node.get(i), at + "[" + i + "]");
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                String path = at.isEmpty() ? Echo.text(name) : at + "." + Echo.text(name);
                if (hasLoneSurrogate(name)) {
                    throw ApiError.badRequest(at, "a field name in '" + (at.isEmpty() ? "the body" : at)
                            + "' contains a lone UTF-16 surrogate (such as \\ud800): send valid Unicode");
                }
                refuseLoneSurrogates(e.getValue(), path);
            }
        }
    }

    static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
