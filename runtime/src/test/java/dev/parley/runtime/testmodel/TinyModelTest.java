package dev.parley.runtime.testmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindings.Batch;
import dev.parley.bindings.ContextOptions;
import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.LlamaContext;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelLoadException;
import dev.parley.bindings.ModelOptions;
import dev.parley.bindings.SamplerChain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated tiny Qwen3 model, loaded and run through the generated bindings. */
class TinyModelTest {

    private static LlamaModel model;

    @BeforeAll
    static void load() {
        model = LlamaModel.load(TestModels.tinyQwen3(), ModelOptions.cpu());
    }

    @AfterAll
    static void free() {
        model.close();
    }

    @Test
    void hasTheShapeItWasWrittenWith() {
        ModelShape s = ModelShape.TINY_QWEN3;
        assertEquals(s.layers(), model.layerCount());
        assertEquals(s.embedding(), model.embeddingLength());
        assertEquals(s.heads(), model.headCount());
        assertEquals(s.kvHeads(), model.headCountKv());
        assertEquals(s.contextLength(), model.contextLengthTrained());
        assertEquals(Optional.of("qwen3"), model.metadata("general.architecture"));
        assertEquals(151936, model.vocab().size());
        assertTrue(model.chatTemplate(null).orElseThrow().contains("enable_thinking"), "Qwen3's template, with thinking");
    }

    @Test
    void tokenizesChatMarkupToTheRealQwenIds() {
        int[] ids = model.vocab().tokenize("<|im_start|>user\nhi<|im_end|>", false, true);
        assertArrayEquals(new int[] {151644, 872, 198, 6023, 151645}, ids);
        assertArrayEquals(new int[] {151667}, model.vocab().tokenize("<think>", false, true));
        assertArrayEquals(new int[] {151668}, model.vocab().tokenize("</think>", false, true));
        assertEquals("<|im_start|>user\nhi<|im_end|>", model.vocab().detokenize(ids, true));
        assertTrue(model.vocab().isEndOfGeneration(151645), "<|im_end|> ends generation");
    }

    @Test
    void greedyGenerationIsRepeatable() {
        int[] prompt = model.vocab().tokenize("<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n", false, true);
        int[] first = generate(prompt, 16);
        int[] second = generate(prompt, 16);
        assertEquals(16, first.length);
        assertArrayEquals(first, second);
        for (int t : first) {
            assertTrue(model.vocab().isValid(t));
        }
        int[] other = generate(model.vocab().tokenize("<|im_start|>user\nSomething else entirely<|im_end|>\n", false, true), 16);
        assertNotEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(other), "the prompt must matter");
    }

    /** Prefill in one batch, then one token per decode, ignoring end-of-generation. */
    private static int[] generate(int[] prompt, int n) {
        try (LlamaContext ctx = LlamaContext.create(model, ContextOptions.of(512, 1));
             Batch batch = ctx.newBatch(prompt.length);
             SamplerChain greedy = SamplerChain.builder(model.vocab()).temperature(0).build()) {
            for (int i = 0; i < prompt.length; i++) {
                batch.add(prompt[i], i, 0, i == prompt.length - 1);
            }
            assertEquals(DecodeStatus.OK, ctx.decode(batch));
            int[] out = new int[n];
            int logitsRow = prompt.length - 1;
            for (int i = 0; i < n; i++) {
                out[i] = greedy.sample(ctx, logitsRow);
                batch.clear();
                logitsRow = batch.add(out[i], prompt.length + i, 0, true);
                assertEquals(DecodeStatus.OK, ctx.decode(batch));
            }
            assertEquals(prompt.length + n - 1, ctx.maxPosition(0));
            return out;
        }
    }

    @Test
    void sequenceStatesSaveAndRestoreOnlyWhole() {
        int[] prompt = model.vocab().tokenize("<|im_start|>user\nSave me and bring me back.<|im_end|>\n", false, true);
        try (LlamaContext ctx = LlamaContext.create(model, ContextOptions.of(512, 2));
             Batch batch = ctx.newBatch(prompt.length);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            for (int i = 0; i < prompt.length; i++) {
                batch.add(prompt[i], i, 0, i == prompt.length - 1);
            }
            assertEquals(DecodeStatus.OK, ctx.decode(batch));
            long bytes = ctx.sequenceStateBytes(0);
            assertTrue(bytes > 0);
            java.lang.foreign.MemorySegment small = arena.allocate(bytes - 1);
            assertThrows(dev.parley.bindings.NativeCallException.class, () -> ctx.saveSequence(0, small),
                    "llama.cpp refuses a buffer that is too small instead of writing past it");
            java.lang.foreign.MemorySegment state = arena.allocate(bytes);
            assertEquals(bytes, ctx.saveSequence(0, state));

            assertTrue(ctx.restoreSequence(1, state, prompt.length));
            assertEquals(prompt.length - 1, ctx.maxPosition(1));
            assertThrows(IllegalStateException.class, () -> ctx.restoreSequence(1, state, prompt.length), "only into an empty sequence");
            ctx.clearSequence(1);
            assertTrue(!ctx.restoreSequence(1, state.asSlice(0, bytes / 2), prompt.length), "half a state is refused");
            assertEquals(-1, ctx.maxPosition(1), "and leaves the sequence empty");
            assertTrue(!ctx.restoreSequence(1, state, prompt.length + 1), "a state holding other positions than expected is refused");
            assertEquals(-1, ctx.maxPosition(1));
        }
    }

    @Test
    void missingModelFileNamesThePath(@TempDir Path dir) {
        Path missing = dir.resolve("nope.gguf");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> LlamaModel.load(missing, ModelOptions.cpu()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void corruptModelFileNamesThePath(@TempDir Path dir) throws Exception {
        Path notGguf = Files.writeString(dir.resolve("text.gguf"), "this is not a model");
        ModelLoadException e1 = assertThrows(ModelLoadException.class, () -> LlamaModel.load(notGguf, ModelOptions.cpu()));
        assertTrue(e1.getMessage().contains(notGguf.toString()), e1.getMessage());

        // A real header followed by the first 4 KiB of a model only: llama.cpp itself must reject it.
        byte[] head = new byte[4096];
        try (var in = Files.newInputStream(TestModels.tinyQwen3())) {
            in.readNBytes(head, 0, head.length);
        }
        Path truncated = Files.write(dir.resolve("truncated.gguf"), head);
        ModelLoadException e2 = assertThrows(ModelLoadException.class, () -> LlamaModel.load(truncated, ModelOptions.cpu()));
        assertTrue(e2.getMessage().contains(truncated.toString()), e2.getMessage());
    }

    @Test
    void sameShapeGivesTheSameBytes(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        TestModels.generate(ModelShape.TINY_QWEN3, a);
        TestModels.generate(ModelShape.TINY_QWEN3, b);
        assertEquals(-1L, Files.mismatch(a, b));
        Path c = dir.resolve("c.gguf");
        TestModels.generate(ModelShape.TINY_QWEN3.withSeed(7), c);
        assertNotEquals(-1L, Files.mismatch(a, c), "another seed, other weights");
    }

    @Test
    void theGreedyFastPathPicksWhatLlamaCppsGreedySamplerPicks() {
        int[] prompt = model.vocab().tokenize("<|im_start|>user\nCompare samplers<|im_end|>\n<|im_start|>assistant\n", false, true);
        try (LlamaContext ctx = LlamaContext.create(model, ContextOptions.of(512, 1));
             Batch batch = ctx.newBatch(prompt.length);
             SamplerChain fast = SamplerChain.builder(model.vocab()).temperature(0).build();
             SamplerChain penalized = SamplerChain.builder(model.vocab()).temperature(0).penalties(64, 1.0f, 0.0001f, 0).build()) {
            assertTrue(fast.plainGreedy());
            assertTrue(!penalized.plainGreedy(), "a penalty in the chain means llama.cpp samples");
            for (int i = 0; i < prompt.length; i++) {
                batch.add(prompt[i], i, 0, i == prompt.length - 1);
            }
            assertEquals(DecodeStatus.OK, ctx.decode(batch));
            int row = prompt.length - 1;
            for (int step = 0; step < 12; step++) {
                int viaLlama = llamaCppGreedy(ctx, row);
                int viaArgmax = fast.sample(ctx, row);
                assertEquals(viaLlama, viaArgmax, "step " + step);
                batch.clear();
                row = batch.add(viaArgmax, prompt.length + step, 0, true);
                assertEquals(DecodeStatus.OK, ctx.decode(batch));
            }
        }
    }

    /** llama.cpp's own greedy sampler on the same logits. */
    private static int llamaCppGreedy(LlamaContext ctx, int row) {
        try (SamplerChain greedyWithNoOpPenalty = SamplerChain.builder(model.vocab()).temperature(0).penalties(64, 1.0f, 0.0f, 0.000001f).build()) {
            return greedyWithNoOpPenalty.sample(ctx, row);
        }
    }
}
