package dev.parley.runtime.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindings.Pooling;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.testmodel.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Embeddings on the generated Qwen3-shaped embedding model, whose GGUF declares last-token pooling. */
class EmbedderTest {

    private static Engine engine;
    private static Embedder embedder;

    @BeforeAll
    static void start() {
        engine = Engine.start(EngineConfig.defaults(TestModels.tinyQwen3Embedding()).withSlots(4, 1024).withThreads(2, 2));
        embedder = engine.openEmbedder(null, 64);
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static float[] one(String text) {
        return embedder.embed(embedder.fit(List.of(embedder.tokenize(text)), false)).getFirst();
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    @Test
    void theGgufsPoolingIsUsed() {
        assertEquals(Pooling.LAST, engine.declaredPooling());
        assertEquals(Pooling.LAST, embedder.pooling());
        assertEquals(64, embedder.dimensions());
        int[] t = embedder.tokenize("hello");
        assertEquals(engine.tokenize("hello", false).length + 1, t.length, "the EOS is appended: it is the pooled token");
    }

    @Test
    void vectorsNormalizeToUnitLength() {
        float[] raw = one("The sea is calm tonight.");
        assertEquals(64, raw.length);
        assertTrue(norm(raw) > 0, "a pooled vector is not zero");
        assertEquals(1.0, norm(Vectors.l2Normalized(raw)), 1e-5);
    }

    @Test
    void sameInputSameVectorDifferentInputsDiffer() {
        float[] a = one("alpha beta gamma");
        assertArrayEquals(a, one("alpha beta gamma"));
        assertFalse(Arrays.equals(a, one("something else entirely")));
    }

    @Test
    void aBatchEqualsItsInputsOneByOne() {
        List<String> texts = List.of("one", "two words", "three words here", "four words in this", "and a fifth, past the slot count");
        List<int[]> tokens = new ArrayList<>();
        for (String s : texts) {
            tokens.add(embedder.tokenize(s));
        }
        long before = embedder.decodes();
        List<float[]> batch = embedder.embed(embedder.fit(tokens, false));
        assertEquals(2, embedder.decodes() - before, "five inputs on four sequences: two decodes");
        assertEquals(texts.size(), batch.size());
        for (int i = 0; i < texts.size(); i++) {
            float[] single = one(texts.get(i));
            for (int k = 0; k < single.length; k++) {
                assertEquals(single[k], batch.get(i)[k], 1e-4, "input " + i + " dimension " + k);
            }
        }
    }

    @Test
    void concurrentRequestsShareDecodesAndGetTheirOwnVectors() throws Exception {
        List<String> texts = List.of("red", "green apples", "blue sky over the sea", "yellow", "purple rain falls", "orange", "white", "black cat");
        List<float[]> singles = texts.stream().map(EmbedderTest::one).toList();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(texts.size())) {
            List<java.util.concurrent.Future<float[]>> futures = new ArrayList<>();
            for (String t : texts) {
                futures.add(pool.submit(() -> one(t)));
            }
            for (int i = 0; i < texts.size(); i++) {
                float[] got = futures.get(i).get();
                for (int k = 0; k < got.length; k++) {
                    assertEquals(singles.get(i)[k], got[k], 1e-4, "request " + i + " dimension " + k);
                }
            }
        }
    }

    @Test
    void longInputsAreRefusedOrCut() {
        int[] tokens = embedder.tokenize("word ".repeat(200));
        assertTrue(tokens.length > embedder.maxTokens());
        EngineException e = assertThrows(EngineException.class, () -> embedder.fit(List.of(tokens), false));
        assertEquals(ErrorCode.PROMPT_TOO_LONG, e.code());
        int[] cut = embedder.fit(List.of(tokens), true).getFirst();
        assertArrayEquals(Arrays.copyOf(tokens, embedder.maxTokens()), cut);
        assertEquals(64, embedder.embed(List.of(cut)).getFirst().length);
        assertEquals(ErrorCode.INVALID_REQUEST, assertThrows(EngineException.class, () -> embedder.fit(List.of(new int[0]), false)).code());
    }

    @Test
    void aGenerativeModelEmbedsOnlyWithAForcedPooling() {
        try (Engine chat = Engine.start(EngineConfig.defaults(TestModels.tinyQwen3()).withSlots(1, 256).withThreads(2, 2))) {
            assertEquals(Pooling.NONE, chat.declaredPooling());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> chat.openEmbedder(null, 64));
            assertTrue(e.getMessage().contains("--embedding"), e.getMessage());
            Embedder mean = chat.openEmbedder(Pooling.MEAN, 64);
            assertEquals(Pooling.MEAN, mean.pooling());
            float[] v = mean.embed(mean.fit(List.of(mean.tokenize("hello there")), false)).getFirst();
            assertEquals(64, v.length);
            assertTrue(norm(v) > 0);
        }
    }
}
