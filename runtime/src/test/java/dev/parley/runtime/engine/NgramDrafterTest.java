package dev.parley.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The n-gram lookup alone: which earlier occurrence it continues, and how far. */
class NgramDrafterTest {

    private static int[] draft(int[] history, int next, int max) {
        int[] out = new int[max];
        int n = NgramDrafter.draft(history, history.length, next, out, max);
        return Arrays.copyOf(out, n);
    }

    @Test
    void theLongestMatchingNgramWinsOverAMoreRecentShorterOne() {
        // "1 2 3" was followed by 4 5; "3" alone most recently by 9
        int[] history = {1, 2, 3, 4, 5, 3, 9, 1, 2};
        assertArrayEquals(new int[] {4, 5, 3}, draft(history, 3, 3));
    }

    @Test
    void theMostRecentOccurrenceOfTheSameLengthWins() {
        int[] history = {7, 8, 1, 7, 8, 2, 0, 7};
        assertArrayEquals(new int[] {2, 0}, draft(history, 8, 2), "7 8 was last followed by 2 0");
    }

    @Test
    void aDraftStopsAtTheEndOfTheHistoryAndAtMax() {
        int[] history = {1, 2, 3};
        assertArrayEquals(new int[] {2, 3, 1}, draft(history, 1, 8), "what followed the first 1, up to the 1 being decoded");
        assertArrayEquals(new int[] {2}, draft(history, 1, 1));
    }

    @Test
    void nothingIsDraftedWhenTheLastTokenNeverOccurredBefore() {
        assertEquals(0, draft(new int[] {1, 2, 3, 4}, 5, 4).length);
        assertEquals(0, draft(new int[] {}, 5, 4).length);
    }
}
