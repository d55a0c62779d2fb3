package dev.parley.runtime.tools;

/**
 * Reads the markup of tool calls after an opening marker, one character at a time, reporting calls to
 * {@link Calls}. One per opened region.
 */
interface Region {

    enum Step {
        /** Consumed; the region goes on. */
        MORE,
        /** Consumed; the region is over. */
        DONE,
        /** The region ended before this character: {@link #giveBack()} goes back to content, this character included. */
        DONE_GIVE_BACK,
        /** Not the markup it looked like: the region's text is content after all (if no call was announced). */
        FAILED
    }

    Step feed(char c);

    /** After {@link Step#DONE_GIVE_BACK}: the text to read again as content. */
    default String giveBack() {
        return "";
    }
}
