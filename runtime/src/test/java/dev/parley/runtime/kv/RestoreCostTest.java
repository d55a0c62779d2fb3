package dev.parley.runtime.kv;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Fetch against prefill: the priors decide first, then what is measured moves the crossover. */
class RestoreCostTest {

    @Test
    void thePriorsFetchASmallStateForManyTokensAndPrefillAHugeOneForFew() {
        RestoreCost c = new RestoreCost();
        assertTrue(c.worthFetching(10L << 20, 4000), "10 MiB at 200 MB/s (52 ms) against 4,000 tokens at 2,000/s (2 s)");
        assertFalse(c.worthFetching(2L << 30, 500), "2 GiB (11 s) against 500 tokens (0.25 s)");
        assertFalse(c.worthFetching(1, 2), "two tokens prefill faster than any round trip (2 ms)");
    }

    @Test
    void aFastPrefillAndASlowStoreMoveTheCrossover() {
        RestoreCost c = new RestoreCost();
        assertTrue(c.worthFetching(100L << 20, 2000), "prior: 0.5 s of transfer against 1 s of prefill");
        for (int i = 0; i < 20; i++) {
            c.notePrefill(20_000, 1_000_000_000L); // 20,000 tokens/s measured
        }
        assertFalse(c.worthFetching(100L << 20, 2000), "2,000 tokens now prefill in 0.1 s");
        RestoreCost slowStore = new RestoreCost();
        for (int i = 0; i < 20; i++) {
            slowStore.noteTransfer(100L << 20, 10_000_000_000L); // 10 MB/s
        }
        assertFalse(slowStore.worthFetching(10L << 20, 1000), "10 MiB over 10 MB/s (1 s) against 1,000 tokens (0.5 s)");
        assertTrue(slowStore.worthFetching(1L << 20, 1000), "1 MiB (0.1 s) still wins");
    }

    @Test
    void shortSamplesSayNothingOfTheRates() {
        RestoreCost c = new RestoreCost();
        for (int i = 0; i < 20; i++) {
            c.notePrefill(10, 1); // a 10-token prefill: fixed cost, not a rate
            c.noteTransfer(100, 1_000_000_000L); // a tiny read that took a second: latency, not a rate
        }
        assertTrue(c.worthFetching(10L << 20, 4000), "the priors stand");
    }
}
