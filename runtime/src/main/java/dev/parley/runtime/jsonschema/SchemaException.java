package dev.parley.runtime.jsonschema;

/**
 * A schema Parley cannot turn into a grammar: malformed, or using a keyword whose constraint a grammar
 * here would silently drop. {@link #keyword()} names the keyword at fault (the API answers 400 with it).
 */
public final class SchemaException extends IllegalArgumentException {
    private final String keyword;
    private final String path;

    public SchemaException(String keyword, String path, String message) {
        super("JSON schema error at " + path + (keyword == null ? "" : " (keyword '" + keyword + "')") + ": " + message);
        this.keyword = keyword;
        this.path = path;
    }

    /** The keyword at fault, or null when the schema is malformed as a whole. */
    public String keyword() {
        return keyword;
    }

    /** Where in the schema, as a JSON pointer fragment ({@code #/properties/a}). */
    public String path() {
        return path;
    }
}
