package dev.parley.server.exchange;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestBody;

/**
 * What to do with a conversation longer than a slot's context: refuse it (413), or drop its oldest turns.
 * A request that names no policy gets its route's default ({@link #orDefault}).
 */
public enum ContextOverflow {
    ERROR,
    TRUNCATE;

    public static final String FIELD = "context_overflow";

    /** The request's {@code context_overflow}: "error" or "truncate", or null when it names none. */
    public static ContextOverflow parse(RequestBody b) {
        String v = b.optionalString(FIELD);
        if (v == null) {
            return null;
        }
        if (v.equals("error")) {
            return ERROR;
        }
        if (v.equals("truncate")) {
            return TRUNCATE;
        }
        throw ApiError.badRequest(FIELD, "field '" + FIELD + "' must be \"error\" or \"truncate\"");
    }

    /**
     * The policy a turn runs under: the request's own ({@code chosen}), else truncate on a saved thread and
     * error for a stateless request. The server owns a thread's history: a thread that outgrew the context
     * would otherwise answer 413 to every later turn, which its client can do nothing about; a stateless
     * client sent the history itself and is told so.
     */
    public static ContextOverflow orDefault(ContextOverflow chosen, Turn.Source source) {
        if (chosen != null) {
            return chosen;
        }
        return source instanceof Turn.OnThread ? TRUNCATE : ERROR;
    }
}
