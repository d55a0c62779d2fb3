package dev.parley.runtime.engine;

/**
 * Whether a slot drafts this step, from how its drafts fared: every verified draft token costs a row
 * of the batch, so a slot whose drafts keep being rejected (an answer that quotes nothing) stops
 * drafting for a while, twice as long each time it fails again, and one whose drafts are accepted
 * keeps going. The measure is over a window of drafted tokens, so one lucky or unlucky step decides
 * nothing. One per slot, reset per generation; scheduler thread only.
 */
final class DraftGate {

    /** Drafted tokens per judgement. */
    static final int WINDOW = 16;
    /** Below this share of accepted draft tokens in a window, drafting pauses. */
    static final double MIN_ACCEPTANCE = 0.3;
    /** Generated tokens without drafting after the first low window; doubled per further one. */
    static final int FIRST_PAUSE = 16;
    static final int MAX_PAUSE = 512;

    private int windowDrafted;
    private int windowAccepted;
    private int pause = FIRST_PAUSE;
    /** Tokens still to generate before drafting again. */
    private int cooldown;
    /** Totals of this generation, for usage and the log. */
    int drafted;
    int accepted;

    boolean open() {
        return cooldown == 0;
    }

    /** A token generated without a draft (while paused, or when the lookup found nothing). */
    void generatedWithoutDraft() {
        if (cooldown > 0) {
            cooldown--;
        }
    }

    /**
     * The drafter was asked and declined (a draft model unsure of its next token): for the window it
     * counts as one rejected token, since asking a draft model costs a decode even when it drafts nothing.
     */
    void declined() {
        judge(1, 0);
    }

    /** One verification: {@code n} drafted tokens, of which the first {@code ok} were accepted. */
    void verified(int n, int ok) {
        drafted += n;
        accepted += ok;
        judge(n, ok);
    }

    private void judge(int n, int ok) {
        windowDrafted += n;
        windowAccepted += ok;
        if (windowDrafted < WINDOW) {
            return;
        }
        if (windowAccepted < MIN_ACCEPTANCE * windowDrafted) {
            cooldown = pause;
            pause = Math.min(MAX_PAUSE, pause * 2);
        } else {
            pause = FIRST_PAUSE;
        }
        windowDrafted = 0;
        windowAccepted = 0;
    }

    void reset() {
        windowDrafted = 0;
        windowAccepted = 0;
        pause = FIRST_PAUSE;
        cooldown = 0;
        drafted = 0;
        accepted = 0;
    }
}
