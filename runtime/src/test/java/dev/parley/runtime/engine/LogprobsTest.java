package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.testmodel.TestModels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Logprobs from the decoded logits row, and logit_bias, on their own and through the engine. */
class LogprobsTest {

    private static Engine engine;

    @BeforeAll
    static void start() {
        engine = Engine.start(EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2));
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    static TokenLogprob compute(float[] logits, int token, int top) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment row = arena.allocateFrom(ValueLayout.JAVA_FLOAT, logits);
            return Logprobs.compute(row, token, top, new int[top], new float[top], null);
        }
    }

    @Test
    void logSoftmaxOfARow() {
        float[] logits = {1f, 3f, -2f, 3.5f, 0f, Float.NEGATIVE_INFINITY};
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l);
        }
        TokenLogprob lp = compute(logits, 1, 3);
        assertEquals(Math.log(Math.exp(3) / z), lp.logprob(), 1e-5);
        assertEquals(List.of(3, 1, 0), lp.top().stream().map(TokenLogprob.Alternative::token).toList());
        assertEquals(Math.log(Math.exp(3.5) / z), lp.top().getFirst().logprob(), 1e-5);
        assertEquals(Float.NEGATIVE_INFINITY, compute(logits, 5, 0).logprob());
        assertTrue(compute(logits, 0, 0).top().isEmpty());
        assertEquals(6, compute(logits, 0, 20).top().size(), "never more alternatives than tokens");
    }

    static List<GenerationEvent> run(GenerationRequest r) throws InterruptedException {
        return engine.submit(r).drain(60_000);
    }

    @Test
    void everyGeneratedTokenGetsItsLogprobAndGreedyPicksTheTopOne() throws Exception {
        List<GenerationEvent> events = run(GenerationRequest.greedy("lp", chat("Tell me a story."), 12).withLogprobs(3));
        List<TokenLogprob> all = new ArrayList<>();
        for (GenerationEvent e : events) {
            if (e instanceof GenerationEvent.Piece p) {
                assertTrue(p.logprobs().size() <= p.tokens() || p.tokens() == 0, "a piece carries at most its own tokens' logprobs");
                all.addAll(p.logprobs());
            }
        }
        GenerationEvent.Done done = assertInstanceOf(GenerationEvent.Done.class, events.getLast());
        assertTrue(all.size() >= done.usage().generatedTokens() - 1 && !all.isEmpty(), all.size() + " of " + done.usage().generatedTokens());
        for (TokenLogprob lp : all) {
            assertEquals(3, lp.top().size());
            assertEquals(lp.top().getFirst().token(), lp.token(), "greedy takes the most likely token");
            assertEquals(lp.top().getFirst().logprob(), lp.logprob(), 1e-6);
            assertTrue(lp.logprob() <= 0);
            assertTrue(lp.top().get(0).logprob() >= lp.top().get(1).logprob() && lp.top().get(1).logprob() >= lp.top().get(2).logprob());
        }
    }

    @Test
    void withoutTheOptionPiecesCarryNone() throws Exception {
        for (GenerationEvent e : run(GenerationRequest.greedy("nolp", chat("Tell me a story."), 4))) {
            if (e instanceof GenerationEvent.Piece p) {
                assertTrue(p.logprobs().isEmpty());
            }
        }
    }

    static int firstToken(GenerationRequest r) throws Exception {
        for (GenerationEvent e : run(r.withLogprobs(0))) {
            if (e instanceof GenerationEvent.Piece p && !p.logprobs().isEmpty()) {
                return p.logprobs().getFirst().token();
            }
        }
        throw new AssertionError("no token generated");
    }

    @Test
    void logitBiasBansAToken() throws Exception {
        GenerationRequest r = GenerationRequest.greedy("bias", chat("Say something."), 2);
        int first = firstToken(r);
        int biased = firstToken(r.withLogitBias(Map.of(first, -100f)));
        assertNotEquals(first, biased);
    }

    @Test
    void badValuesAreRefused() throws Exception {
        GenerationRequest r = GenerationRequest.greedy("bad", chat("x"), 2);
        assertThrows(EngineException.class, () -> r.withLogprobs(21));
        assertThrows(EngineException.class, () -> r.withLogitBias(Map.of(1, 101f)));
        List<GenerationEvent> outOfVocab = run(r.withLogitBias(Map.of(10_000_000, 1f)));
        GenerationEvent.Failed f = assertInstanceOf(GenerationEvent.Failed.class, outOfVocab.getLast());
        assertEquals(ErrorCode.INVALID_REQUEST, f.code());
    }
}
