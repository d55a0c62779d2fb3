package dev.parley.runtime.tools;

/**
 * Finds where one JSON value ends in a stream of characters, without building it: tracks strings,
 * escapes and nesting. A scalar (number, true, false, null) only ends at the character after it, which
 * then belongs to what follows ({@link Step#ENDED_BEFORE}). Does not validate beyond what finding the end
 * needs. Reusable via {@link #reset()}.
 */
final class JsonScanner {

    enum Step {
        /** The character is part of the value, which goes on. */
        MORE,
        /** The character completed the value. */
        ENDED,
        /** The value had already ended: the character is not part of it. */
        ENDED_BEFORE,
        /** The character cannot start a JSON value. */
        INVALID
    }

    private int depth;
    private boolean started;
    private boolean inString;
    private boolean escaped;
    private boolean scalar;

    void reset() {
        depth = 0;
        started = false;
        inString = false;
        escaped = false;
        scalar = false;
    }

    /** The first character of the value, once started: '{', '[', '"' or a scalar's first letter. */
    Step feed(char c) {
        if (!started) {
            started = true;
            switch (c) {
                case '{', '[' -> depth = 1;
                case '"' -> inString = true;
                default -> {
                    if (c == '-' || Character.isLetterOrDigit(c)) {
                        scalar = true;
                        return Step.MORE;
                    }
                    started = false;
                    return Step.INVALID;
                }
            }
            return Step.MORE;
        }
        if (scalar) {
            return Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '+' ? Step.MORE : Step.ENDED_BEFORE;
        }
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
                return depth == 0 ? Step.ENDED : Step.MORE;
            }
            return Step.MORE;
        }
        switch (c) {
            case '"' -> inString = true;
            case '{', '[' -> depth++;
            case '}', ']' -> {
                if (--depth == 0) {
                    return Step.ENDED;
                }
            }
            default -> { }
        }
        return Step.MORE;
    }

    boolean started() {
        return started;
    }
}
