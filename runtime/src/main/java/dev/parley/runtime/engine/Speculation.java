package dev.parley.runtime.engine;

import java.nio.file.Path;

/**
 * Speculative decoding settings: whether slots draft tokens, by n-gram lookup over their own history
 * (prompt and output so far; no second model) or with a smaller draft model of the same vocabulary,
 * and verify them in the step's one batch.
 *
 * @param ngram draft by n-gram lookup ({@code --speculative ngram}); off by default
 * @param maxDraft the most tokens drafted for one slot in one step ({@code --speculative-max})
 * @param draftModel the draft model's file ({@code --speculative draft --model-draft}), or null
 * @param draftMinP with a draft model, the least probability (under the draft model) of a token it
 *     drafts: a draft stops at the first less likely one ({@code --draft-p-min}; 0 drafts every token)
 */
public record Speculation(boolean ngram, int maxDraft, Path draftModel, float draftMinP) {

    /**
     * A draft token the draft model itself gives less than this is likely rejected, and each drafted
     * token costs the target a logits row: below it the draft stops.
     */
    public static final float DEFAULT_DRAFT_MIN_P = 0.75f;

    /** The draft length when none is given: long enough for quoted lines, short enough that a miss costs little. */
    public static final int DEFAULT_MAX_DRAFT = 8;

    public static final Speculation OFF = new Speculation(false, DEFAULT_MAX_DRAFT, null, DEFAULT_DRAFT_MIN_P);

    public Speculation {
        if (maxDraft < 1 || maxDraft > 64) {
            throw new IllegalArgumentException("speculative draft length must be between 1 and 64, got " + maxDraft);
        }
        if (!(draftMinP >= 0 && draftMinP <= 1)) {
            throw new IllegalArgumentException("--draft-p-min must be between 0 and 1, got " + draftMinP);
        }
        if (ngram && draftModel != null) {
            throw new IllegalArgumentException("speculative decoding drafts by n-gram lookup or with a draft model, not both");
        }
    }

    /** N-gram lookup, or off. */
    public Speculation(boolean ngram, int maxDraft) {
        this(ngram, maxDraft, null, DEFAULT_DRAFT_MIN_P);
    }

    public static Speculation ngram(int maxDraft) {
        return new Speculation(true, maxDraft, null, DEFAULT_DRAFT_MIN_P);
    }

    public static Speculation draft(Path model, int maxDraft) {
        return draft(model, maxDraft, DEFAULT_DRAFT_MIN_P);
    }

    public static Speculation draft(Path model, int maxDraft, float minP) {
        if (model == null) {
            throw new IllegalArgumentException("--speculative draft needs --model-draft: the draft model");
        }
        return new Speculation(false, maxDraft, model, minP);
    }

    /** These settings with another least draft-token probability. */
    public Speculation withDraftMinP(float minP) {
        return new Speculation(ngram, maxDraft, draftModel, minP);
    }

    /** Whether slots draft at all. */
    public boolean on() {
        return ngram || draftModel != null;
    }

    /**
     * Parses the {@code --speculative} mode: {@code ngram}, {@code draft} (with {@code draftModel}) or
     * {@code off}/{@code none}. A draft model given without a mode means {@code draft}.
     *
     * @throws IllegalArgumentException for any other mode, for {@code draft} without a draft model,
     *     and for a draft model with another mode
     */
    public static Speculation parse(String mode, int maxDraft, Path draftModel) {
        String m = mode == null ? "" : mode.trim().toLowerCase(java.util.Locale.ROOT);
        if (m.isEmpty() && draftModel != null) {
            m = "draft";
        }
        return switch (m) {
            case "off", "none", "" -> {
                if (draftModel != null) {
                    throw new IllegalArgumentException("--model-draft needs --speculative draft (it is " + mode + ")");
                }
                yield new Speculation(false, maxDraft);
            }
            case "ngram" -> {
                if (draftModel != null) {
                    throw new IllegalArgumentException("--model-draft needs --speculative draft, not ngram");
                }
                yield new Speculation(true, maxDraft);
            }
            case "draft" -> draft(draftModel, maxDraft);
            default -> throw new IllegalArgumentException("--speculative must be ngram, draft or off, got '" + mode + "'");
        };
    }

    /** Without a draft model. */
    public static Speculation parse(String mode, int maxDraft) {
        return parse(mode, maxDraft, null);
    }
}
