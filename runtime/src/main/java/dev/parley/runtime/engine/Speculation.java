package dev.parley.runtime.engine;

/**
 * Speculative decoding settings: whether slots draft tokens by n-gram lookup over their own history
 * (prompt and output so far; no draft model) and verify them in the step's one batch.
 *
 * @param ngram draft by n-gram lookup ({@code --speculative ngram}); off by default
 * @param maxDraft the most tokens drafted for one slot in one step ({@code --speculative-max})
 */
public record Speculation(boolean ngram, int maxDraft) {

    /** The draft length when none is given: long enough for quoted lines, short enough that a miss costs little. */
    public static final int DEFAULT_MAX_DRAFT = 8;

    public static final Speculation OFF = new Speculation(false, DEFAULT_MAX_DRAFT);

    public Speculation {
        if (maxDraft < 1 || maxDraft > 64) {
            throw new IllegalArgumentException("speculative draft length must be between 1 and 64, got " + maxDraft);
        }
    }

    public static Speculation ngram(int maxDraft) {
        return new Speculation(true, maxDraft);
    }

    /**
     * Parses the {@code --speculative} mode: {@code ngram} or {@code off}/{@code none}.
     *
     * @throws IllegalArgumentException for any other mode (a draft model is not built yet)
     */
    public static Speculation parse(String mode, int maxDraft) {
        return switch (mode == null ? "off" : mode.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "off", "none", "" -> new Speculation(false, maxDraft);
            case "ngram" -> new Speculation(true, maxDraft);
            default -> throw new IllegalArgumentException("--speculative must be ngram or off, got '" + mode + "'");
        };
    }
}
