package dev.parley.server.exchange;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestBody;

/** What to do with a conversation longer than a slot's context: refuse it (413), or drop its oldest turns. */
public enum ContextOverflow {
    ERROR,
    TRUNCATE;

    public static final String FIELD = "context_overflow";

    /** The request's {@code context_overflow}: "error" (the default) or "truncate". */
    public static ContextOverflow parse(RequestBody b) {
        String v = b.optionalString(FIELD);
        if (v == null || v.equals("error")) {
            return ERROR;
        }
        if (v.equals("truncate")) {
            return TRUNCATE;
        }
        throw ApiError.badRequest(FIELD, "field '" + FIELD + "' must be \"error\" or \"truncate\"");
    }
}
