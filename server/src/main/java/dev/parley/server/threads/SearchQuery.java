package dev.parley.server.threads;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a thread search looks for: the words of the client's text (letters and digits; everything else
 * separates them), each matching any word that starts with it, all of them in the same message or title.
 * Made into each database's query syntax from the words alone, so no client text is ever query syntax.
 */
public record SearchQuery(List<String> words) {

    /** More words than a person types into a search box make a slow query, not a better one. */
    static final int MAX_WORDS = 16;
    static final int MAX_WORD_CHARS = 64;

    public SearchQuery {
        words = List.copyOf(words);
    }

    /**
     * The words of {@code text}.
     *
     * @throws IllegalArgumentException when it has none, or too many
     */
    public static SearchQuery parse(String text) {
        List<String> words = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                words.add(w.length() > MAX_WORD_CHARS ? w.substring(0, MAX_WORD_CHARS) : w);
            }
        }
        if (words.isEmpty()) {
            throw new IllegalArgumentException("the search text has no words (letters or digits) to look for");
        }
        if (words.size() > MAX_WORDS) {
            throw new IllegalArgumentException("the search text has " + words.size() + " words; at most " + MAX_WORDS + " are looked for");
        }
        return new SearchQuery(words);
    }

    /** SQLite FTS5: each word a quoted prefix query; juxtaposed, FTS5 requires them all. */
    String fts5() {
        StringBuilder q = new StringBuilder();
        for (String w : words) {
            q.append(q.isEmpty() ? "" : " ").append('"').append(w).append("\"*");
        }
        return q.toString();
    }

    /** PostgreSQL to_tsquery: each word a prefix, all required. The words hold letters and digits only. */
    String tsquery() {
        StringBuilder q = new StringBuilder();
        for (String w : words) {
            q.append(q.isEmpty() ? "" : " & ").append(w).append(":*");
        }
        return q.toString();
    }
}
