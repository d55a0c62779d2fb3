package dev.parley.server.ui;

import java.util.Locale;

/**
 * Whether a request for {@code /} wants the chat page or the JSON index. Browsers ask for
 * {@code text/html} by name; curl, SDKs and scripts send {@code *}{@code /*}, {@code application/json}
 * or nothing, and keep getting JSON. Wildcards never pick the page: only a {@code text/html} named with
 * a quality above 0 and at least that of a named {@code application/json} does.
 */
final class HtmlPreference {

    private HtmlPreference() {
    }

    static boolean prefersHtml(String accept) {
        if (accept == null || accept.isBlank()) {
            return false;
        }
        double html = 0;
        double json = 0;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].strip().toLowerCase(Locale.ROOT);
            double q = quality(parts);
            if (type.equals("text/html") || type.equals("application/xhtml+xml")) {
                html = Math.max(html, q);
            } else if (type.equals("application/json")) {
                json = Math.max(json, q);
            }
        }
        return html > 0 && html >= json;
    }

    private static double quality(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].strip().toLowerCase(Locale.ROOT);
            if (p.startsWith("q=")) {
                try {
                    double q = Double.parseDouble(p.substring(2));
                    return q >= 0 && q <= 1 ? q : 0;
                } catch (NumberFormatException e) {
                    return 0; // a malformed quality counts as "not acceptable", never as a preference
                }
            }
        }
        return 1;
    }
}
