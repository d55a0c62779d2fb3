package dev.parley.runtime.engine;

/**
 * Drafts the tokens that followed the latest earlier occurrence of a sequence's last n tokens (n
 * from {@link #MAX_N} down to 1), in that same sequence: prompt lookup decoding. An answer that
 * quotes or edits its history (code, documents, lists it was given) repeats long runs of it, and
 * the lookup finds them for free; one that quotes nothing finds short or wrong drafts, which the
 * slot's {@link DraftGate} then stops asking for. Deterministic in the history, so accepting a draft
 * token exactly when the target samples it leaves the output distribution unchanged.
 */
final class NgramDrafter {

    /** The longest n-gram looked up first: longer ones match less often and gain little in precision. */
    static final int MAX_N = 3;

    /** The lookup as a {@link Drafter}: it needs nothing but the history. */
    static final Drafter LOOKUP = (seq, tokens, count, next, out, max) -> draft(tokens, count, next, out, max);

    private NgramDrafter() {}

    /**
     * Writes up to {@code max} drafted tokens into {@code out} and returns how many. The history is
     * {@code tokens[0..count)} followed by {@code next} (the token about to be decoded).
     */
    static int draft(int[] tokens, int count, int next, int[] out, int max) {
        int length = count + 1;
        for (int n = Math.min(MAX_N, length - 1); n >= 1; n--) {
            int suffix = length - n;
            // The most recent earlier occurrence: the nearest context is the likeliest to continue the same way.
            for (int start = suffix - 1; start >= 0; start--) {
                if (matches(tokens, count, next, start, suffix, n)) {
                    int from = start + n;
                    int k = Math.min(max, length - from);
                    for (int i = 0; i < k; i++) {
                        out[i] = at(tokens, count, next, from + i);
                    }
                    return k;
                }
            }
        }
        return 0;
    }

    private static boolean matches(int[] tokens, int count, int next, int a, int b, int n) {
        for (int i = n - 1; i >= 0; i--) { // the last token differs most often: compare it first
            if (at(tokens, count, next, a + i) != at(tokens, count, next, b + i)) {
                return false;
            }
        }
        return true;
    }

    private static int at(int[] tokens, int count, int next, int i) {
        return i < count ? tokens[i] : next;
    }
}
