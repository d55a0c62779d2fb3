package dev.parley.runtime.text;

/** Text that may be the start of a marker: what streaming filters hold back until the next piece tells. */
public final class Overlap {

    private Overlap() {}

    /**
     * The length of the longest end of {@code text} (from {@code from} on) that is a proper prefix of
     * {@code s}, when longer than {@code best}; else {@code best}.
     */
    public static int heldPrefix(CharSequence text, int from, String s, int best) {
        for (int n = Math.min(s.length() - 1, text.length() - from); n > best; n--) {
            int off = text.length() - n;
            int i = 0;
            while (i < n && text.charAt(off + i) == s.charAt(i)) {
                i++;
            }
            if (i == n) {
                return n;
            }
        }
        return best;
    }
}
