package dev.parley.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindings.ContextOptions;
import dev.parley.bindings.KvCacheType;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelOptions;
import dev.parley.runtime.testmodel.ModelShape;
import dev.parley.runtime.testmodel.TestModels;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The draft model on the tiny generated Qwen3 model: what it drafts after a history is the same
 * whether its context already held part of that history (tokens kept, rejected drafts cut) or
 * decoded it all afresh, so keeping sequences between steps changes nothing but the cost.
 */
class DraftModelTest {

    private static final ContextOptions OPTIONS = new ContextOptions(1024, 64, 64, 2, 2, 2,
            ContextOptions.FlashAttention.AUTO, KvCacheType.F16, false, 0);

    private static LlamaModel target;
    private static DraftModel kept;

    @BeforeAll
    static void open() {
        target = LlamaModel.load(TestModels.tinyQwen3(), ModelOptions.cpu());
        kept = DraftModel.open(TestModels.tinyQwen3(), target.vocab(), OPTIONS, 0, true, 512, 0f);
    }

    @AfterAll
    static void close() {
        kept.close();
        target.close();
    }

    private static int[] history(String text) {
        return target.vocab().tokenize(text, true, false);
    }

    /** What a draft model that holds nothing yet drafts after {@code tokens[0..count)} and {@code next}. */
    private static int[] fresh(int[] tokens, int count, int next, int max) {
        try (DraftModel d = DraftModel.open(TestModels.tinyQwen3(), target.vocab(), OPTIONS, 0, true, 512, 0f)) {
            int[] out = new int[max];
            return Arrays.copyOf(out, d.draft(0, tokens, count, next, out, max));
        }
    }

    @Test
    void keptSequencesDraftWhatAFreshContextDrafts() {
        int[] h = history("The quick brown fox jumps over the lazy dog. The quick brown fox");
        int[] out = new int[6];
        int n = kept.draft(0, h, h.length - 1, h[h.length - 1], out, 6);
        assertEquals(6, n, "the tiny model has no end-of-generation token in its first six greedy tokens here");
        assertArrayEquals(Arrays.copyOf(out, n), fresh(h, h.length - 1, h[h.length - 1], 6));
        assertEquals(h.length + n - 1, kept.held(0), "the history and all drafts but the last are held");

        // The target accepted three drafts and then sampled something else: the other drafts are cut.
        int[] next = Arrays.copyOf(h, h.length + 3);
        System.arraycopy(out, 0, next, h.length, 3);
        int other = out[3] == 11 ? 12 : 11;
        int[] again = new int[6];
        int m = kept.draft(0, next, next.length, other, again, 6);
        assertTrue(m > 0);
        assertArrayEquals(Arrays.copyOf(again, m), fresh(next, next.length, other, 6));

        // Another conversation on the same sequence: it shares no prefix and is drafted from scratch.
        int[] unrelated = history("def add(a, b):\n    return a + b\n");
        int[] third = new int[4];
        int k = kept.draft(0, unrelated, unrelated.length - 1, unrelated[unrelated.length - 1], third, 4);
        assertArrayEquals(Arrays.copyOf(third, k), fresh(unrelated, unrelated.length - 1, unrelated[unrelated.length - 1], 4));
    }

    @Test
    void sequencesAreApart() {
        int[] a = history("One two three four five six");
        int[] b = history("Seven eight nine ten");
        int[] outA = new int[4];
        int[] outB = new int[4];
        int na = kept.draft(1, a, a.length - 1, a[a.length - 1], outA, 4);
        int nb = kept.draft(0, b, b.length - 1, b[b.length - 1], outB, 4);
        assertArrayEquals(Arrays.copyOf(outA, na), fresh(a, a.length - 1, a[a.length - 1], 4));
        assertArrayEquals(Arrays.copyOf(outB, nb), fresh(b, b.length - 1, b[b.length - 1], 4));
    }

    @Test
    void noDraftPastTheSequencesCells() {
        int[] h = history("abc abc abc");
        int[] out = new int[8];
        try (DraftModel small = DraftModel.open(TestModels.tinyQwen3(), target.vocab(), OPTIONS, 0, true, h.length + 2, 0f)) {
            assertEquals(2, small.draft(0, h, h.length - 1, h[h.length - 1], out, 8));
            int[] full = Arrays.copyOf(h, h.length + 1);
            full[h.length] = out[0];
            assertEquals(0, small.draft(0, full, full.length, out[1], out, 8));
        }
    }

    @Test
    void aDraftStopsAtTheFirstTokenTheDraftModelFindsUnlikely() {
        int[] h = history("The quick brown fox jumps over the lazy dog.");
        int[] out = new int[6];
        // Random weights over 151k tokens: the draft model is never sure of a token.
        try (DraftModel unsure = DraftModel.open(TestModels.tinyQwen3(), target.vocab(), OPTIONS, 0, true, 512, 0.999f)) {
            assertEquals(0, unsure.draft(0, h, h.length - 1, h[h.length - 1], out, 6));
        }
        assertEquals(6, kept.draft(1, h, h.length - 1, h[h.length - 1], out, 6), "no least probability: every token drafted");
    }

    @Test
    void aModelOfAnotherVocabularyIsRefused() {
        assertNull(DraftModel.mismatch(target.vocab(), target.vocab()));
        try (LlamaModel llama = LlamaModel.load(TestModels.ensure(ModelShape.TINY_LLAMA), ModelOptions.cpu())) {
            String why = DraftModel.mismatch(target.vocab(), llama.vocab());
            assertNotNull(why);
            assertTrue(why.contains("tokens"), why);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DraftModel.open(TestModels.ensure(ModelShape.TINY_LLAMA), target.vocab(), OPTIONS, 0, true, 512, 0f));
        assertTrue(e.getMessage().contains("cannot draft for this model"), e.getMessage());
    }
}
