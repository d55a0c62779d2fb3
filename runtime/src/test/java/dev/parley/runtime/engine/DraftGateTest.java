package dev.parley.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When a slot stops drafting, and for how long. */
class DraftGateTest {

    /** Tokens generated without a draft until the gate opens again. */
    private static int closedFor(DraftGate g) {
        int n = 0;
        while (!g.open()) {
            g.generatedWithoutDraft();
            n++;
        }
        return n;
    }

    @Test
    void aWindowOfRejectedDraftsClosesTheGateForLongerEachTime() {
        DraftGate g = new DraftGate();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < DraftGate.WINDOW / 4; i++) {
                assertTrue(g.open());
                g.verified(4, 0);
            }
            assertFalse(g.open());
            assertEquals(DraftGate.FIRST_PAUSE << round, closedFor(g));
        }
    }

    @Test
    void acceptedDraftsKeepItOpenAndResetThePause() {
        DraftGate g = new DraftGate();
        for (int i = 0; i < DraftGate.WINDOW / 4; i++) {
            g.verified(4, 0);
        }
        assertEquals(DraftGate.FIRST_PAUSE, closedFor(g));
        for (int i = 0; i < 10 * DraftGate.WINDOW / 4; i++) {
            g.verified(4, 2); // half accepted: worth it
            assertTrue(g.open());
        }
        for (int i = 0; i < DraftGate.WINDOW / 4; i++) {
            g.verified(4, 0);
        }
        assertEquals(DraftGate.FIRST_PAUSE, closedFor(g), "a good window resets the back-off");
        assertEquals((4 + 40 + 4) * 4, g.drafted);
        assertEquals(40 * 2, g.accepted);
    }

    @Test
    void aDraftModelThatKeepsDecliningClosesTheGateWithoutCountingAsDrafts() {
        DraftGate g = new DraftGate();
        for (int i = 0; i < DraftGate.WINDOW - 1; i++) {
            g.declined();
            assertTrue(g.open(), "one window is judged whole");
        }
        g.declined();
        assertEquals(DraftGate.FIRST_PAUSE, closedFor(g), "a window of declined asks pauses drafting like rejected drafts");
        assertEquals(0, g.drafted, "nothing was drafted");
        assertEquals(0, g.accepted);
    }
}
