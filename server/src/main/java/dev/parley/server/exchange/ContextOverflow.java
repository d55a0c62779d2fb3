package dev.parley.server.exchange;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestBody;

/**
 * What to do with a conversation longer than a slot's context: refuse it (413), drop its oldest turns, or
 * replace them by a summary the model writes ({@link Summaries}). A request that names no policy gets its
 * thread's setting, else its route's default ({@link #orDefault}).
 */
public enum ContextOverflow {
    ERROR,
    TRUNCATE,
    SUMMARIZE;

    public static final String FIELD = "context_overflow";

    /** The request's {@code context_overflow}: "error", "truncate" or "summarize", or null when it names none. */
    public static ContextOverflow parse(RequestBody b) {
        String v = b.optionalString(FIELD);
        if (v == null) {
            return null;
        }
        ContextOverflow o = fromWire(v);
        if (o == null) {
            throw ApiError.badRequest(FIELD, "field '" + FIELD + "' must be \"error\", \"truncate\" or \"summarize\"");
        }
        return o;
    }

    /** The policy a wire name (or a thread's stored setting) names; null for none or an unknown one. */
    public static ContextOverflow fromWire(String v) {
        if (v == null) {
            return null;
        }
        return switch (v) {
            case "error" -> ERROR;
            case "truncate" -> TRUNCATE;
            case "summarize" -> SUMMARIZE;
            default -> null;
        };
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
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

    /** As {@link #orDefault(ContextOverflow, Turn.Source)}, a thread's own setting ({@code threadSetting}, null: none) before the default. */
    public static ContextOverflow orDefault(ContextOverflow chosen, Turn.Source source, ContextOverflow threadSetting) {
        return chosen == null && threadSetting != null ? threadSetting : orDefault(chosen, source);
    }
}
